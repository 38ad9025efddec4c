"""Process-wide default service client, set by a host runtime (not public API).

On AWS, a handler that receives the plain invocation event builds a boto3 client. A durable-lambda
worker process already holds a faster channel to the engine (a pipe to the server), so it installs
that channel here; ``durable_execution`` uses it for plain events before falling back to boto3.
Handlers written with the official SDK never look here and talk HTTP through boto3, as on Lambda.
"""

from __future__ import annotations

from typing import Any

__all__ = ["default_service_client", "set_default_service_client"]

_default: Any = None


def set_default_service_client(client: Any) -> None:
    global _default  # noqa: PLW0603  (AWS's module-level default client, set once at start-up)
    _default = client


def default_service_client() -> Any:
    return _default
