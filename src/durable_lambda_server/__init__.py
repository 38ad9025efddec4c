"""durable-lambda's server: the durable engine, its stores, the Lambda API, runtimes and the CLI.

Layers, top to bottom (imports point down; ``lint-imports`` enforces it, see pyproject.toml):
``cli`` > ``api`` | ``runtime`` > ``engine`` > ``store`` > ``wire``. The server reaches the SDK
(``durable_lambda``) only through its declared wire model, ``durable_lambda.lambda_service``, and,
in ``runtime``, what a worker process needs to host a handler (decision 0016).

Installed with the ``server`` extra: ``pip install 'durable-lambda[server]'``.
"""

from __future__ import annotations

__version__ = "0.1.0"
