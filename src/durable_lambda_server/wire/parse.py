"""Parsing untrusted request bodies into typed values (or ``InvalidParameterValueException``).

Everything the engine receives from a handler or client passes through here first, so bad input
is rejected with a clear message before any state is read or written.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from durable_lambda.lambda_service import (
    CallbackOptions,
    ChainedInvokeOptions,
    ContextOptions,
    ErrorObject,
    OperationAction,
    OperationType,
    OperationUpdate,
    StepOptions,
    WaitOptions,
)
from durable_lambda_server.wire.errors import (
    InvalidParameterValueException,
    RequestTooLargeException,
)

__all__ = [
    "MAX_ERROR_BYTES",
    "MAX_PAYLOAD_BYTES",
    "check_checkpoint",
    "parse_checkpoint_body",
    "parse_error_object",
    "parse_update",
    "scrub",
]

MAX_PAYLOAD_BYTES = 262_144  # checkpoint item limit (lambda-api.md §8)
MAX_ERROR_BYTES = 32_768  # error object limit (sdk-spec.md §9.3)
MAX_UPDATES = 250
MAX_ID_CHARS = 64  # Id, ParentId and ClientToken (lambda-api.md)
MAX_NAME_CHARS = 256  # an operation's Name
MAX_DURATION_SECONDS = (
    31_622_400  # waits, retry delays and callback timeouts: 366 days (lambda-api.md §8)
)
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


def _text(value: str, where: str) -> str:
    r"""``value`` if it is valid Unicode; raises ``InvalidParameterValueException`` if not.

    A lone surrogate (JSON ``"\ud800"``) cannot be stored and rendered back as UTF-8, so it is
    rejected here rather than breaking every later read.
    """
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise _bad(f"{where} is not valid Unicode (lone surrogate)") from None
    return value


def scrub(value: Any) -> Any:
    r"""``value`` with every lone surrogate in its strings replaced by its ``\udcff`` escape.

    For data the service records but did not parse from a request (a handler's output or
    error, e.g. an OS error naming a non-UTF-8 file): it must stay renderable as UTF-8.
    """
    if isinstance(value, str):
        if value.isascii():
            return value
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return value.encode("utf-8", "backslashreplace").decode("utf-8")
        return value
    if isinstance(value, dict):
        return {scrub(k): scrub(v) for k, v in value.items()}
    if isinstance(value, list):
        return [scrub(v) for v in value]
    return value


def _opt_str(data: Mapping[str, Any], key: str, where: str, max_len: int) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _bad(f"{where}.{key} must be a string")
    if len(value) > max_len:
        raise _bad(f"{where}.{key} is longer than {max_len} characters")
    return _text(value, f"{where}.{key}")


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
            out[key] = _text(value, f"{where}.{key}")
    trace = data.get("StackTrace")
    if trace is not None:
        if not isinstance(trace, list) or not all(isinstance(t, str) for t in trace):
            raise _bad(f"{where}.StackTrace must be a list of strings")
        out["StackTrace"] = [_text(t, f"{where}.StackTrace") for t in trace]
    if len(json.dumps(out)) > MAX_ERROR_BYTES:
        raise RequestTooLargeException(f"{where} is larger than {MAX_ERROR_BYTES} bytes")
    return out


_TYPES = {t.value: t for t in OperationType}
_ACTIONS = {a.value: a for a in OperationAction}


def _int_field(value: Any, where: str, maximum: int = MAX_DURATION_SECONDS) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= maximum:
        raise _bad(f"{where} must be an integer from 0 to {maximum}")
    return value


def _options(data: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any] | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise _bad(f"{where}.{key} must be an object")
    unknown = set(value) - _OPTIONS_BY_KEY[key]
    if unknown:
        raise _bad(f"{where}.{key}.{sorted(unknown)[0]} is not a known field")
    return value


def _parse_head(data: Mapping[str, Any], where: str) -> tuple[str, OperationType, OperationAction]:
    """An update's ``Id``, ``Type`` and ``Action``, checked in that order."""
    op_id = data.get("Id")
    if not isinstance(op_id, str) or not 1 <= len(op_id) <= MAX_ID_CHARS:
        raise _bad(f"{where}.Id must be a string of 1 to 64 characters")
    _text(op_id, f"{where}.Id")
    raw_type, raw_action = data.get("Type"), data.get("Action")
    op_type = _TYPES.get(raw_type) if isinstance(raw_type, str) else None
    if op_type is None:
        raise _bad(f"{where}.Type {str(raw_type)[:64]!r} is not a valid operation type")
    action = _ACTIONS.get(raw_action) if isinstance(raw_action, str) else None
    if action is None:
        raise _bad(f"{where}.Action {str(raw_action)[:64]!r} is not a valid action")
    return op_id, op_type, action


def _chained_invoke(invoke: Mapping[str, Any], where: str) -> ChainedInvokeOptions:
    """``ChainedInvokeOptions``: its strings checked, ``FunctionName`` required."""
    for key in ("FunctionName", "TenantId", "XAmznTraceId"):
        _opt_str(invoke, key, f"{where}.ChainedInvokeOptions", 8192)
    function_name = invoke.get("FunctionName")
    if not function_name:
        raise _bad(f"{where}.ChainedInvokeOptions.FunctionName is required")
    return ChainedInvokeOptions(function_name, invoke.get("TenantId"), invoke.get("XAmznTraceId"))


def _replay_children(context: Mapping[str, Any], where: str) -> bool:
    """``ContextOptions.ReplayChildren`` (default False), which must be a boolean."""
    replay_children = context.get("ReplayChildren", False)
    if not isinstance(replay_children, bool):
        raise _bad(f"{where}.ContextOptions.ReplayChildren must be a boolean")
    return replay_children


def parse_update(data: Any, index: int) -> OperationUpdate:
    """One ``OperationUpdate`` in a single pass (this is on every checkpoint's hot path)."""
    where = f"Updates[{index}]"
    if not isinstance(data, Mapping):
        raise _bad(f"{where} must be an object")
    op_id, op_type, action = _parse_head(data, where)
    parent_id = _opt_str(data, "ParentId", where, MAX_ID_CHARS)
    name = _opt_str(data, "Name", where, MAX_NAME_CHARS)
    sub_type = _opt_str(data, "SubType", where, 32)
    if sub_type is not None and not _SUB_TYPE.match(sub_type):
        raise _bad(f"{where}.SubType must match [A-Za-z0-9_-]{{1,32}}")
    payload = _opt_str(data, "Payload", where, 10**9)
    if (
        payload is not None
        and len(payload) * 4 > MAX_PAYLOAD_BYTES
        and len(payload.encode()) > MAX_PAYLOAD_BYTES
    ):
        raise RequestTooLargeException(f"{where}.Payload is larger than {MAX_PAYLOAD_BYTES} bytes")
    raw_error = data.get("Error")
    error = (
        ErrorObject.from_dict(parse_error_object(raw_error, f"{where}.Error"))
        if raw_error is not None
        else None
    )
    step = _options(data, "StepOptions", where)
    wait = _options(data, "WaitOptions", where)
    callback = _options(data, "CallbackOptions", where)
    invoke = _options(data, "ChainedInvokeOptions", where)
    context = _options(data, "ContextOptions", where)
    chained = _chained_invoke(invoke, where) if invoke is not None else None
    replay_children = _replay_children(context, where) if context is not None else None
    return OperationUpdate(
        operation_id=op_id,
        operation_type=op_type,
        action=action,
        parent_id=parent_id,
        name=name,
        sub_type=sub_type,
        payload=payload,
        error=error,
        context_options=ContextOptions(replay_children) if replay_children is not None else None,
        step_options=StepOptions(
            _int_field(
                step.get("NextAttemptDelaySeconds", 0),
                f"{where}.StepOptions.NextAttemptDelaySeconds",
            )
        )
        if step is not None
        else None,
        wait_options=WaitOptions(
            _int_field(wait.get("WaitSeconds", 0), f"{where}.WaitOptions.WaitSeconds")
        )
        if wait is not None
        else None,
        callback_options=CallbackOptions(
            _int_field(
                callback.get("TimeoutSeconds", 0), f"{where}.CallbackOptions.TimeoutSeconds"
            ),
            _int_field(
                callback.get("HeartbeatTimeoutSeconds", 0),
                f"{where}.CallbackOptions.HeartbeatTimeoutSeconds",
            ),
        )
        if callback is not None
        else None,
        chained_invoke_options=chained,
    )


def parse_checkpoint_body(body: Any) -> tuple[str, list[OperationUpdate], str | None]:
    """``CheckpointDurableExecution`` body -> (token, updates, client token)."""
    if not isinstance(body, Mapping):
        raise _bad("request body must be a JSON object")
    token, raw_updates, client_token = _envelope(
        body.get("CheckpointToken"),
        body.get("Updates") or [],
        body.get("ClientToken"),
        kinds=(list,),
    )
    return token, [parse_update(u, i) for i, u in enumerate(raw_updates)], client_token


def check_checkpoint(
    token: Any, updates: Any, client_token: Any = None
) -> tuple[str, list[OperationUpdate], str | None]:
    """The typed form of ``parse_checkpoint_body`` for in-process callers.

    They hand over ``OperationUpdate`` objects: the same rules, the same result, without the
    wire dicts.
    """
    token, updates, client_token = _envelope(token, updates, client_token, kinds=(list, tuple))
    return token, [check_update(u, i) for i, u in enumerate(updates)], client_token


def _envelope(
    token: Any, updates: Any, client_token: Any, *, kinds: tuple[type, ...]
) -> tuple[str, Sequence[Any], str | None]:
    """The checkpoint's token, client token and updates (one of ``kinds``), checked in order."""
    if not isinstance(token, str) or not token:
        raise _bad("CheckpointToken is required")
    if client_token is not None and (
        not isinstance(client_token, str) or len(client_token) > MAX_ID_CHARS
    ):
        raise _bad("ClientToken must be a string of at most 64 characters")
    if not isinstance(updates, kinds) or not isinstance(updates, Sequence):
        raise _bad("Updates must be a list")
    if len(updates) > MAX_UPDATES:
        raise _bad(f"at most {MAX_UPDATES} updates per checkpoint")
    return token, updates, client_token


def check_update(update: Any, index: int) -> OperationUpdate:
    """Checks one update of an in-process checkpoint; the result is what ``parse_update`` gives.

    ``update`` itself when it is an ``OperationUpdate`` that ``parse_update`` would accept
    unchanged (decided from its fields: plain ASCII strings within their limits, no error or
    wait/callback/invoke options); anything else goes through ``parse_update`` on its wire form,
    so both paths apply the same rules.
    """
    if type(update) is OperationUpdate and _plain(update):
        return update
    to_dict = getattr(update, "to_dict", None)
    return parse_update(to_dict() if callable(to_dict) else update, index)


def _plain(u: OperationUpdate) -> bool:
    return _plain_ids(u) and _plain_content(u) and _plain_options(u)


def _plain_ids(u: OperationUpdate) -> bool:
    # Optional strings must be None or non-empty ASCII within their limits (``to_dict`` drops an
    # empty one, so only then do both paths agree). Written out: this runs for every update.
    op_id, parent_id, name = u.operation_id, u.parent_id, u.name
    if type(op_id) is not str or not 0 < len(op_id) <= MAX_ID_CHARS or not op_id.isascii():
        return False
    if type(u.operation_type) is not OperationType or type(u.action) is not OperationAction:
        return False
    if parent_id is not None and (
        type(parent_id) is not str
        or not 0 < len(parent_id) <= MAX_ID_CHARS
        or not parent_id.isascii()
    ):
        return False
    return name is None or (
        type(name) is str and 0 < len(name) <= MAX_NAME_CHARS and name.isascii()
    )


def _plain_content(u: OperationUpdate) -> bool:
    sub_type = u.sub_type
    if sub_type is not None and (type(sub_type) is not str or not _SUB_TYPE.match(sub_type)):
        return False
    payload = u.payload
    return payload is None or (
        type(payload) is str and len(payload) <= MAX_PAYLOAD_BYTES and payload.isascii()
    )


def _plain_options(u: OperationUpdate) -> bool:
    # No error and no wait, callback or invoke options; context and step options of exact types.
    if u.error is not None or u.wait_options is not None or u.callback_options is not None:
        return False
    if u.chained_invoke_options is not None:
        return False
    context = u.context_options
    if context is not None and (
        type(context) is not ContextOptions or type(context.replay_children) is not bool
    ):
        return False
    step = u.step_options
    if step is not None:
        delay = step.next_attempt_delay_seconds
        if (
            type(step) is not StepOptions
            or type(delay) is not int
            or not 0 <= delay <= MAX_DURATION_SECONDS
        ):
            return False
    return True
