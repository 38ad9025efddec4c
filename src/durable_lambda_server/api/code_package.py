"""Function code for the HTTP API: zip uploads checked and unpacked, Lambda handlers mapped.

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
import zipfile
from pathlib import Path
from typing import Any

from durable_lambda_server.engine import FunctionRecord
from durable_lambda_server.wire.errors import InvalidParameterValueException

__all__ = [
    "MAX_UNZIPPED_BYTES",
    "code_dir_of",
    "code_fields",
    "decode_zip",
    "discard_code",
    "extract_code",
    "handler_spec",
]

MAX_UNZIPPED_BYTES = 262_144_000  # Lambda's limit for a function's unzipped deployment package


def decode_zip(code: Any) -> bytes:
    """Decode ``Code.ZipFile`` (base64 in the JSON body); other code sources are unsupported.

    UpdateFunctionCode carries ``ZipFile`` at the top level: pass its body.
    """
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
    """Open ``data`` as a zip archive, refusing it if it is unsafe to unpack.

    Refused when corrupt, too large or holding a member path that would land outside the code
    directory (``..`` or absolute).
    """
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
    """Unpack ``data`` into the next free ``<state_dir>/functions/<name>/<n>/``.

    ``name`` has been validated as ``[a-zA-Z0-9-_]``, so it is one path segment.
    """
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
    """Map a Lambda ``module.function`` handler to the spec ``<code_dir>/module.py:function``.

    The module part may be dotted (``pkg.module``) or a path (``pkg/module``).
    """
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
    """The ``CodeSha256`` and ``CodeSize`` that FunctionConfiguration reports for a zip."""
    return {
        "CodeSha256": base64.b64encode(hashlib.sha256(data).digest()).decode(),
        "CodeSize": len(data),
    }
