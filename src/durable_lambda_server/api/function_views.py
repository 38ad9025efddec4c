"""How the HTTP API renders functions and aliases.

``FunctionConfiguration`` and ``AliasConfiguration`` as Lambda returns them, revision ids and
``LastModified`` stamps.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from durable_lambda_server.engine import FunctionRecord, functions

__all__ = ["alias_configuration", "function_configuration", "last_modified", "new_revision"]

# Members ListFunctions leaves out of each FunctionConfiguration (lambda-api.md §2.1 notes).
_NOT_LISTED = (
    "State",
    "StateReason",
    "StateReasonCode",
    "LastUpdateStatus",
    "LastUpdateStatusReason",
    "LastUpdateStatusReasonCode",
    "RuntimeVersionConfig",
)


def new_revision() -> str:
    """A fresh ``RevisionId`` (a UUID), as Lambda issues one on every change."""
    return str(uuid.uuid4())


def last_modified(ms: int | None = None) -> str:
    """A ``LastModified`` string in Lambda's format (``2019-10-22T19:53:36.106+0000``).

    Lambda models it as a plain string, not a timestamp (lambda-api.md §0.4). ``ms`` is epoch
    milliseconds; None means now.
    """
    moment = datetime.now(UTC) if ms is None else datetime.fromtimestamp(ms / 1000, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def function_configuration(
    record: FunctionRecord, *, qualifier: str | None = None, listed: bool = False
) -> dict[str, Any]:
    """The ``FunctionConfiguration`` Lambda would return for ``record``.

    The ARN is qualified for published versions, or with ``qualifier`` (the alias or ``$LATEST``
    the caller named); ``listed`` leaves out what ListFunctions omits.
    """
    api = dict(record.api_config or {})
    arn = record.function_arn
    if qualifier is not None:
        arn = f"{arn}:{qualifier}"
    elif record.version != "$LATEST":
        arn = f"{arn}:{record.version}"
    out: dict[str, Any] = {
        "FunctionName": record.name,
        "FunctionArn": arn,
        "Runtime": api.get("Runtime", "python3.13"),
        "Role": api.get("Role", ""),
        "Handler": api.get("Handler") or record.handler,
        "CodeSize": api.get("CodeSize", 0),
        "Description": api.get("Description", ""),
        "Timeout": record.timeout_seconds,
        "MemorySize": api.get("MemorySize", 128),
        "LastModified": api.get("LastModified") or last_modified(),
        "CodeSha256": api.get("CodeSha256", ""),
        "Version": record.version,
        "Environment": {"Variables": dict(record.environment or {})},
        "State": "Active",
        "LastUpdateStatus": "Successful",
        "PackageType": "Zip",
        "Architectures": api.get("Architectures", ["x86_64"]),
        "RevisionId": functions.function_revision(record),
    }
    if record.durable:
        out["DurableConfig"] = {
            "ExecutionTimeout": record.execution_timeout_seconds,
            "RetentionPeriodInDays": record.retention_period_days,
        }
    if listed:
        for key in _NOT_LISTED:
            out.pop(key, None)
    return out


def alias_configuration(function_arn: str, alias: dict[str, Any]) -> dict[str, Any]:
    """The ``AliasConfiguration`` Lambda returns: the stored alias plus its ARN and revision."""
    out = dict(alias)
    out["AliasArn"] = f"{function_arn}:{alias['Name']}"
    out["RevisionId"] = functions.alias_revision(alias)
    return out
