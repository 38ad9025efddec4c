"""Edge conversions for the HTTP API: error responses, timestamps, request bodies and queries.

Inside the process timestamps are integer epoch milliseconds; on the wire they are epoch
seconds (lambda-api.md §0 item 3: botocore breaks on milliseconds). Every failure leaves through
``error_response`` as a Lambda-style error (status, ``x-amzn-ErrorType``, JSON body).
"""

from __future__ import annotations

import json
import math
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from durable_lambda_server.wire.errors import (
    InvalidParameterValueException,
    InvalidRequestContentException,
    LambdaApiError,
)

__all__ = [
    "UnknownOperationException",
    "bool_query",
    "error_response",
    "int_query",
    "json_response",
    "new_request_id",
    "page",
    "read_json",
    "read_json_object",
    "time_query_ms",
    "to_wire",
]


# A JSON escape of a UTF-16 surrogate; only a lone one (unpaired) is invalid.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_MAX_LIST_ITEMS = 10_000  # MaxItems of the function, version and alias lists


class UnknownOperationException(LambdaApiError):  # noqa: N818  (AWS's code for unknown routes)
    """404 for a method and path that name no Lambda operation we serve."""

    status = 404
    fault = "User"


def new_request_id() -> str:
    """A fresh ``x-amzn-RequestId``, which botocore reports as ``ResponseMetadata.RequestId``."""
    return str(uuid.uuid4())


def to_wire(value: Any) -> Any:
    """Copy ``value`` with every ``*Timestamp`` integer converted from epoch ms to epoch seconds.

    botocore reads JSON timestamps as epoch seconds and breaks on milliseconds.
    """
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if key.endswith("Timestamp") and isinstance(item, int) and not isinstance(item, bool):
                out[key] = item / 1000.0
            else:
                out[key] = to_wire(item)
        return out
    if isinstance(value, list):
        return [to_wire(item) for item in value]
    return value


def json_response(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A JSON response of ``body`` with its timestamps converted for the wire (``to_wire``)."""
    return JSONResponse(to_wire(body), status_code=status, headers=headers)


def error_response(err: LambdaApiError, request_id: str) -> Response:
    """The Lambda-style error response botocore decodes into ``client.exceptions.<Name>``.

    The code travels in ``x-amzn-ErrorType`` as well as in the body (lambda-api.md §1.4).
    """
    return JSONResponse(
        err.to_body(),
        status_code=err.status,
        headers={"x-amzn-ErrorType": err.error_type, "x-amzn-RequestId": request_id},
    )


def parse_json_body(raw: bytes | str) -> Any:
    """Parses an untrusted JSON body; anything Python's parser refuses is a client error.

    Besides malformed JSON and bad UTF-8 that covers what parses in principle but not here:
    nesting deeper than the interpreter's recursion limit (``RecursionError``) and integers of
    more digits than ``sys.get_int_max_str_digits()`` (a ``ValueError``). Neither may become a
    500 (issue 17).
    """
    try:
        return json.loads(raw)
    except RecursionError:
        raise InvalidRequestContentException(
            "Could not parse request body into json: nesting is too deep"
        ) from None
    except (ValueError, UnicodeDecodeError) as err:  # JSONDecodeError is a ValueError
        raise InvalidRequestContentException(
            f"Could not parse request body into json: {err}"
        ) from err


async def read_json(request: Request, *, allow_empty: bool = True) -> Any:
    """The request body parsed as JSON (``None`` when empty); malformed JSON is a client error."""
    raw = await request.body()
    if not raw.strip():
        if allow_empty:
            return None
        raise InvalidRequestContentException("Could not parse request body into json: empty body")
    body = parse_json_body(raw)
    if _SURROGATE_ESCAPE.search(raw):
        # A lone surrogate ("\ud800") parses but is not Unicode: stored, it would make every
        # later response that carries it fail to encode as UTF-8.
        try:
            json.dumps(body, ensure_ascii=False).encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidRequestContentException(
                "Could not parse request body into json: a string holds a lone UTF-16 surrogate"
            ) from None
    return body


async def read_json_object(request: Request) -> dict[str, Any]:
    """The request body as a JSON object; an empty body is ``{}``, any other JSON value a 400.

    JSON ``null`` is not an empty body: it is a value that is not an object (issue 17).
    """
    raw = await request.body()
    if not raw.strip():
        return {}
    body = await read_json(request)
    if not isinstance(body, dict):
        raise InvalidRequestContentException(
            "Could not parse request body into json: expected an object"
        )
    return body


def int_query(request: Request, key: str) -> int | None:
    """The query parameter ``key`` as an integer, or None when absent or empty."""
    raw = request.query_params.get(key)
    if raw is None or raw == "":
        return None
    try:
        return int(raw)
    except ValueError:
        raise InvalidParameterValueException(f"{key} must be an integer") from None


def bool_query(request: Request, key: str, *, default: bool = False) -> bool:
    """The query parameter ``key`` as botocore sends booleans (``true``/``false``, any case)."""
    raw = request.query_params.get(key)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("true", "false"):
        return raw.lower() == "true"
    raise InvalidParameterValueException(f"{key} must be true or false")


def time_query_ms(request: Request, key: str) -> int | None:
    """An ISO-8601 (botocore) or epoch-seconds query value as epoch milliseconds."""
    raw = request.query_params.get(key)
    if raw is None or raw == "":
        return None
    try:
        seconds = float(raw)
    except ValueError:
        pass
    else:
        if not math.isfinite(seconds):
            raise InvalidParameterValueException(f"{key} must be a finite timestamp")
        return int(seconds * 1000)
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        raise InvalidParameterValueException(f"{key} must be an ISO-8601 timestamp") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp() * 1000)


def page(items: list[Any], request: Request, key: str, *, max_page: int = 50) -> dict[str, Any]:
    """One page of a function-management list, under ``key``, with ``NextMarker`` if more remain.

    ``Marker`` is an offset; ``MaxItems`` may be 1-10000 (as the model allows) but at most
    ``max_page`` items come back (lambda-api.md §5.1).
    """
    from durable_lambda_server.engine import parse_marker

    start = parse_marker(request.query_params.get("Marker") or None)
    max_items = int_query(request, "MaxItems")
    if max_items is not None and not 1 <= max_items <= _MAX_LIST_ITEMS:
        raise InvalidParameterValueException("MaxItems must be between 1 and 10000")
    size = min(max_items or max_page, max_page)
    out: dict[str, Any] = {key: items[start : start + size]}
    if start + size < len(items):
        out["NextMarker"] = str(start + size)
    return out
