"""The Lambda REST-JSON HTTP API served by ``durable-lambda serve``.

boto3's ``lambda`` client works against it unmodified.
"""

from __future__ import annotations

from durable_lambda_server.api.app import create_app

__all__ = ["create_app"]
