"""The ``durable-lambda`` command line: run, inspect, serve and deploy durable functions."""
