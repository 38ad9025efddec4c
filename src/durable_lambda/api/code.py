"""Function code and configuration for the HTTP API: zip upload, handler mapping, FunctionConfiguration.

Uploaded code is unpacked into ``<state_dir>/functions/<name>/<n>/`` (a new ``n`` per upload, so
published versions keep pointing at their own code). A Lambda ``Handler`` ``pkg.module.function``
becomes the handler spec ``<codedir>/pkg/module.py:function``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from durable_lambda.engine.records import FunctionRecord
from durable_lambda.wire.errors import InvalidParameterValueException

__all__ = ["alias_configuration", "decode_zip", "extract_code", "function_configuration", "handler_spec"]


def decode_zip(code: Any) -> bytes:
    """``Code.ZipFile`` (base64 in the JSON body) as bytes; other code sources are unsupported."""
    if not isinstance(code, dict):
        raise InvalidParameterValueException("Code is required")
    zipped = code.get("ZipFile")
    if not isinstance(zipped, str) or not zipped:
        raise InvalidParameterValueException("Only Code.ZipFile is supported (S3 and image code are not)")
    try:
        return base64.b64decode(zipped, validate=True)
    except (binascii.Error, ValueError) as err:
        raise InvalidParameterValueException("Code.ZipFile is not valid base64") from err


def extract_code(state_dir: Path, name: str, data: bytes) -> Path:
    """Unpacks ``data`` into the next free ``<state_dir>/functions/<name>/<n>/``."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as err:
        raise InvalidParameterValueException("Could not unzip uploaded file. Please check your file") from err
    base = state_dir / "functions" / name
    base.mkdir(parents=True, exist_ok=True)
    used = [int(p.name) for p in base.iterdir() if p.is_dir() and p.name.isdigit()]
    target = base / str(max(used, default=0) + 1)
    root = target.resolve()
    with archive:
        for member in archive.infolist():
            dest = (target / member.filename).resolve()
            if root not in dest.parents and dest != root:
                raise InvalidParameterValueException(f"zip entry escapes the code directory: {member.filename}")
        target.mkdir()
        archive.extractall(target)
    return root


def handler_spec(code_dir: Path, handler: Any) -> str:
    """Lambda ``module.function`` (module may be dotted or a path) -> ``<code_dir>/module.py:function``."""
    if not isinstance(handler, str) or "." not in handler or handler.endswith(".") or handler.startswith("."):
        raise InvalidParameterValueException(f"Handler must be 'module.function', got {handler!r}")
    module, _, function = handler.rpartition(".")
    relative = module.replace(".", "/") if "/" not in module else module
    return f"{code_dir / relative}.py:{function}"


def _last_modified(ms: int | None = None) -> str:
    moment = datetime.now(timezone.utc) if ms is None else datetime.fromtimestamp(ms / 1000, timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def new_api_config(body: dict[str, Any], data: bytes) -> dict[str, Any]:
    """The Lambda-facing settings stored verbatim with the function record."""
    return {
        "Runtime": body.get("Runtime") or "python3.13",
        "Role": body.get("Role") or "",
        "Handler": body.get("Handler"),
        "Description": body.get("Description") or "",
        "MemorySize": int(body.get("MemorySize") or 128),
        "CodeSha256": base64.b64encode(hashlib.sha256(data).digest()).decode(),
        "CodeSize": len(data),
        "LastModified": _last_modified(),
        "Architectures": body.get("Architectures") or ["x86_64"],
    }


def function_configuration(record: FunctionRecord, *, qualified: bool = False) -> dict[str, Any]:
    """A ``FunctionConfiguration`` for ``record`` (qualified ARN for published versions)."""
    api = dict(record.api_config or {})
    arn = record.function_arn
    if qualified or record.version != "$LATEST":
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
        "LastModified": api.get("LastModified") or _last_modified(),
        "CodeSha256": api.get("CodeSha256", ""),
        "Version": record.version,
        "Environment": {"Variables": dict(record.environment or {})},
        "State": "Active",
        "LastUpdateStatus": "Successful",
        "PackageType": "Zip",
        "Architectures": api.get("Architectures", ["x86_64"]),
        "RevisionId": hashlib.sha1(f"{record.name}:{record.version}:{api}".encode()).hexdigest(),
    }
    if record.durable:
        out["DurableConfig"] = {
            "ExecutionTimeout": record.execution_timeout_seconds,
            "RetentionPeriodInDays": record.retention_period_days,
        }
    return out


def alias_configuration(function_arn: str, alias: dict[str, Any]) -> dict[str, Any]:
    out = dict(alias)
    out["AliasArn"] = f"{function_arn}:{alias['Name']}"
    out["RevisionId"] = hashlib.sha1(repr(sorted(alias.items())).encode()).hexdigest()
    return out
