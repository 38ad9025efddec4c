"""durable-lambda: AWS Lambda durable functions, self-hosted. (Public names filled in below.)"""

__version__ = "0.1.0"
