"""Parsing untrusted request bodies into typed values (or ``InvalidParameterValueException``).

Everything the engine receives from a handler or client passes through here first, so bad input
is rejected with a clear message before any state is read or written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from durable_lambda.lambda_service import OperationAction, OperationType, OperationUpdate
from durable_lambda.wire.errors import (
    InvalidParameterValueException,
    RequestTooLargeException,
)

__all__ = [
    "MAX_ERROR_BYTES",
    "MAX_PAYLOAD_BYTES",
    "parse_checkpoint_body",
    "parse_error_object",
    "parse_update",
]

MAX_PAYLOAD_BYTES = 262_144  # checkpoint item limit (lambda-api.md §8)
MAX_ERROR_BYTES = 32_768  # error object limit (sdk-spec.md §9.3)
MAX_UPDATES = 250
_SUB_TYPE = re.compile(r"^[A-Za-z0-9_-]{1,32}$")
_OPTIONS_BY_KEY = {
    "StepOptions": {"NextAttemptDelaySeconds"},
    "WaitOptions": {"WaitSeconds"},
    "CallbackOptions": {"TimeoutSeconds", "HeartbeatTimeoutSeconds"},
    "ChainedInvokeOptions": {"FunctionName", "TenantId", "XAmznTraceId"},
    "ContextOptions": {"ReplayChildren"},
}


def _bad(message: str) -> InvalidParameterValueException:
    return InvalidParameterValueException(message)


def _opt_str(data: Mapping[str, Any], key: str, where: str, max_len: int) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _bad(f"{where}.{key} must be a string")
    if len(value) > max_len:
        raise _bad(f"{where}.{key} is longer than {max_len} characters")
    return value


def parse_error_object(data: Any, where: str = "Error") -> dict[str, Any]:
    """A wire ErrorObject: string fields and a list-of-strings StackTrace, at most 32 KB."""
    if not isinstance(data, Mapping):
        raise _bad(f"{where} must be an object")
    out: dict[str, Any] = {}
    for key in ("ErrorMessage", "ErrorType", "ErrorData"):
        value = data.get(key)
        if value is not None:
            if not isinstance(value, str):
                raise _bad(f"{where}.{key} must be a string")
            out[key] = value
    trace = data.get("StackTrace")
    if trace is not None:
        if not isinstance(trace, list) or not all(isinstance(t, str) for t in trace):
            raise _bad(f"{where}.StackTrace must be a list of strings")
        out["StackTrace"] = list(trace)
    if len(json.dumps(out)) > MAX_ERROR_BYTES:
        raise RequestTooLargeException(f"{where} is larger than {MAX_ERROR_BYTES} bytes")
    return out


def _check_options(data: Mapping[str, Any], where: str) -> None:
    for key, allowed in _OPTIONS_BY_KEY.items():
        value = data.get(key)
        if value is None:
            continue
        if not isinstance(value, Mapping):
            raise _bad(f"{where}.{key} must be an object")
        for field, item in value.items():
            if field not in allowed:
                raise _bad(f"{where}.{key}.{field} is not a known field")
            if field in {"FunctionName", "TenantId", "XAmznTraceId"}:
                if not isinstance(item, str):
                    raise _bad(f"{where}.{key}.{field} must be a string")
            elif field == "ReplayChildren":
                if not isinstance(item, bool):
                    raise _bad(f"{where}.{key}.{field} must be a boolean")
            elif not isinstance(item, int) or isinstance(item, bool) or item < 0:
                raise _bad(f"{where}.{key}.{field} must be a non-negative integer")


def parse_update(data: Any, index: int) -> OperationUpdate:
    where = f"Updates[{index}]"
    if not isinstance(data, Mapping):
        raise _bad(f"{where} must be an object")
    op_id = data.get("Id")
    if not isinstance(op_id, str) or not 1 <= len(op_id) <= 64:
        raise _bad(f"{where}.Id must be a string of 1 to 64 characters")
    try:
        op_type = OperationType(data.get("Type"))
    except ValueError:
        raise _bad(f"{where}.Type {data.get('Type')!r} is not a valid operation type") from None
    try:
        action = OperationAction(data.get("Action"))
    except ValueError:
        raise _bad(f"{where}.Action {data.get('Action')!r} is not a valid action") from None
    _opt_str(data, "ParentId", where, 64)
    _opt_str(data, "Name", where, 256)
    sub_type = _opt_str(data, "SubType", where, 32)
    if sub_type is not None and not _SUB_TYPE.match(sub_type):
        raise _bad(f"{where}.SubType must match [A-Za-z0-9_-]{{1,32}}")
    payload = _opt_str(data, "Payload", where, 10**9)
    if payload is not None and len(payload.encode()) > MAX_PAYLOAD_BYTES:
        raise RequestTooLargeException(
            f"{where}.Payload is larger than {MAX_PAYLOAD_BYTES} bytes"
        )
    if data.get("Error") is not None:
        parse_error_object(data["Error"], f"{where}.Error")
    _check_options(data, where)
    try:
        return OperationUpdate.from_dict(data)
    except (KeyError, TypeError, ValueError) as err:
        raise _bad(f"{where} is malformed: {err}") from err


def parse_checkpoint_body(body: Any) -> tuple[str, list[OperationUpdate], str | None]:
    """``CheckpointDurableExecution`` body -> (token, updates, client token)."""
    if not isinstance(body, Mapping):
        raise _bad("request body must be a JSON object")
    token = body.get("CheckpointToken")
    if not isinstance(token, str) or not token:
        raise _bad("CheckpointToken is required")
    client_token = body.get("ClientToken")
    if client_token is not None and (not isinstance(client_token, str) or len(client_token) > 64):
        raise _bad("ClientToken must be a string of at most 64 characters")
    raw_updates = body.get("Updates") or []
    if not isinstance(raw_updates, list):
        raise _bad("Updates must be a list")
    if len(raw_updates) > MAX_UPDATES:
        raise _bad(f"at most {MAX_UPDATES} updates per checkpoint")
    return token, [parse_update(u, i) for i, u in enumerate(raw_updates)], client_token
