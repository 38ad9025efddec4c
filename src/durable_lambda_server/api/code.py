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
import os
import shutil
import uuid
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from durable_lambda_server.engine import functions
from durable_lambda_server.engine import FunctionRecord
from durable_lambda_server.wire.errors import InvalidParameterValueException

__all__ = [
    "alias_configuration",
    "code_dir_of",
    "code_fields",
    "decode_zip",
    "discard_code",
    "extract_code",
    "function_configuration",
    "handler_spec",
    "last_modified",
    "new_revision",
]

MAX_UNZIPPED_BYTES = 262_144_000  # Lambda's limit for a function's unzipped deployment package
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


def decode_zip(code: Any) -> bytes:
    """``Code.ZipFile`` (base64 in the JSON body) as bytes; other code sources are unsupported.
    UpdateFunctionCode carries ``ZipFile`` at the top level: pass its body."""
    if not isinstance(code, dict):
        raise InvalidParameterValueException("Code is required")
    zipped = code.get("ZipFile")
    if zipped is None and any(code.get(k) for k in ("S3Bucket", "S3Key", "ImageUri")):
        raise InvalidParameterValueException(
            "Only ZipFile code is supported (S3 and image code are not)"
        )
    if not isinstance(zipped, str) or not zipped:
        raise InvalidParameterValueException(
            "Only Code.ZipFile is supported (S3 and image code are not)"
        )
    try:
        return base64.b64decode(zipped, validate=True)
    except (binascii.Error, ValueError) as err:
        raise InvalidParameterValueException("Code.ZipFile is not valid base64") from err


def check_zip(data: bytes) -> zipfile.ZipFile:
    """``data`` opened as a zip archive, refused if corrupt, too large or holding a member path
    that would land outside the code directory (``..`` or absolute)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError) as err:
        raise InvalidParameterValueException(
            "Could not unzip uploaded file. Please check your file"
        ) from err
    if sum(member.file_size for member in members) > MAX_UNZIPPED_BYTES:
        raise InvalidParameterValueException(
            f"Unzipped size must be smaller than {MAX_UNZIPPED_BYTES} bytes"
        )
    probe = Path("/probe/root")
    for member in members:
        dest = Path(os.path.normpath(probe / member.filename))
        if probe not in dest.parents and dest != probe:
            raise InvalidParameterValueException(
                f"zip entry escapes the code directory: {member.filename}"
            )
    return archive


def extract_code(state_dir: Path, name: str, data: bytes) -> Path:
    """Unpacks ``data`` into the next free ``<state_dir>/functions/<name>/<n>/`` (``name`` has
    been validated as ``[a-zA-Z0-9-_]``, so it is one path segment)."""
    archive = check_zip(data)
    base = state_dir / "functions" / name
    base.mkdir(parents=True, exist_ok=True)
    used = [int(p.name) for p in base.iterdir() if p.is_dir() and p.name.isdigit()]
    number = max(used, default=0) + 1
    while True:  # a concurrent upload may take a number first
        target = base / str(number)
        try:
            target.mkdir()
            break
        except FileExistsError:
            number += 1
    with archive:
        try:
            archive.extractall(target)
        except (
            zipfile.BadZipFile,
            NotImplementedError,
            RuntimeError,
            ValueError,
            EOFError,
            OSError,
        ) as err:
            discard_code(target)
            raise InvalidParameterValueException(f"Could not unzip uploaded file: {err}") from err
    return target.resolve()


def handler_spec(code_dir: Path, handler: Any) -> str:
    """Lambda ``module.function`` (module may be dotted or a path) -> ``<code_dir>/module.py:function``."""
    if (
        not isinstance(handler, str)
        or "." not in handler
        or handler.endswith(".")
        or handler.startswith(".")
    ):
        raise InvalidParameterValueException(f"Handler must be 'module.function', got {handler!r}")
    module, _, function = handler.rpartition(".")
    relative = module.replace(".", "/") if "/" not in module else module
    return f"{code_dir / relative}.py:{function}"


def discard_code(code_dir: Path) -> None:
    """Removes a code directory unpacked for a change that was then refused."""
    shutil.rmtree(code_dir, ignore_errors=True)


def code_dir_of(record: FunctionRecord) -> Path | None:
    """Where ``record``'s uploaded code lives (None for functions not deployed from a zip)."""
    api = record.api_config or {}
    stored = api.get("CodeDir")
    if isinstance(stored, str) and stored:
        return Path(stored)
    handler = api.get("Handler")
    if not isinstance(handler, str) or "." not in handler:
        return None
    path = record.handler.rpartition(":")[0]
    relative = handler.rpartition(".")[0].replace(".", "/") + ".py"
    if not path.endswith("/" + relative):
        return None
    return Path(path[: -len(relative)].rstrip("/") or "/")


def code_fields(data: bytes) -> dict[str, Any]:
    return {
        "CodeSha256": base64.b64encode(hashlib.sha256(data).digest()).decode(),
        "CodeSize": len(data),
    }


def new_revision() -> str:
    return str(uuid.uuid4())


def last_modified(ms: int | None = None) -> str:
    moment = (
        datetime.now(timezone.utc)
        if ms is None
        else datetime.fromtimestamp(ms / 1000, timezone.utc)
    )
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def function_configuration(
    record: FunctionRecord, *, qualifier: str | None = None, listed: bool = False
) -> dict[str, Any]:
    """A ``FunctionConfiguration`` for ``record``. The ARN is qualified for published versions,
    or with ``qualifier`` (the alias or ``$LATEST`` the caller named); ``listed`` leaves out
    what ListFunctions omits."""
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
    out = dict(alias)
    out["AliasArn"] = f"{function_arn}:{alias['Name']}"
    out["RevisionId"] = functions.alias_revision(alias)
    return out
