"""Alias operations under ``/2015-03-31/functions/{FunctionName}/aliases``.

CreateAlias, GetAlias, UpdateAlias (``RevisionId`` precondition -> 412), DeleteAlias and
ListAliases (lambda-api.md §2.1, §5.3).
"""

from __future__ import annotations

import re
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from durable_lambda_server.api.app import ApiContext, RouteSpec
from durable_lambda_server.api.function_config import check_description, check_function_name
from durable_lambda_server.api.function_views import alias_configuration
from durable_lambda_server.api.http_codec import json_response, page, read_json_object
from durable_lambda_server.wire.errors import InvalidParameterValueException

__all__ = ["ROUTES"]

_ALIASES = "/2015-03-31/functions/{FunctionName}/aliases"
_VERSION = re.compile(r"^(\$LATEST|[0-9]{1,19})$")


def _routing(body: dict[str, Any]) -> dict[str, float] | None:
    """``RoutingConfig.AdditionalVersionWeights``; None when the body has no ``RoutingConfig``."""
    routing = body.get("RoutingConfig")
    if routing is None:
        return None
    if not isinstance(routing, dict):
        raise InvalidParameterValueException("RoutingConfig must be an object")
    weights = routing.get("AdditionalVersionWeights")
    if weights is None:
        return {}
    if not isinstance(weights, dict) or not all(
        isinstance(w, (int, float)) and not isinstance(w, bool) for w in weights.values()
    ):
        raise InvalidParameterValueException(
            "AdditionalVersionWeights must map versions to weights between 0.0 and 1.0"
        )
    return {str(k): float(v) for k, v in weights.items()}


def _version(value: Any, *, required: bool) -> str | None:
    if value is None and not required:
        return None
    if not isinstance(value, str) or not _VERSION.fullmatch(value):
        raise InvalidParameterValueException(
            f"FunctionVersion must be $LATEST or a version number, got {value!r}"
        )
    return value


async def create_alias(ctx: ApiContext, request: Request, params: dict[str, str]) -> Response:
    body = await read_json_object(request)
    name = check_function_name(params["FunctionName"])
    alias = body.get("Name")
    if not isinstance(alias, str):
        raise InvalidParameterValueException("Name is required")
    version = _version(body.get("FunctionVersion"), required=True)
    if version is None:  # _version raises for a missing required version; this narrows the type
        raise InvalidParameterValueException("FunctionVersion is required")
    fields = {"routing": _routing(body), "description": check_description(body.get("Description"))}
    out = await run_in_threadpool(lambda: ctx.engine.create_alias(name, alias, version, **fields))
    return json_response(alias_configuration(ctx.engine.function_arn(name), out), status=201)


async def update_alias(ctx: ApiContext, request: Request, params: dict[str, str]) -> Response:
    body = await read_json_object(request)
    name = check_function_name(params["FunctionName"])
    revision_id = body.get("RevisionId")
    if revision_id is not None and not isinstance(revision_id, str):
        raise InvalidParameterValueException("RevisionId must be a string")
    fields = {
        "version": _version(body.get("FunctionVersion"), required=False),
        "routing": _routing(body),
        "description": check_description(body["Description"])
        if body.get("Description") is not None
        else None,
        "revision_id": revision_id or None,
    }

    def update() -> dict[str, Any]:
        ctx.engine.get_function(name)  # "Function not found" first
        result: dict[str, Any] = ctx.engine.update_alias(name, params["Name"], **fields)
        return result

    out = await run_in_threadpool(update)
    return json_response(alias_configuration(ctx.engine.function_arn(name), out))


async def get_alias(ctx: ApiContext, request: Request, params: dict[str, str]) -> Response:
    name = check_function_name(params["FunctionName"])

    def get() -> dict[str, Any]:
        ctx.engine.get_function(name)
        result: dict[str, Any] = ctx.engine.get_alias(name, params["Name"])
        return result

    out = await run_in_threadpool(get)
    return json_response(alias_configuration(ctx.engine.function_arn(name), out))


async def delete_alias(ctx: ApiContext, request: Request, params: dict[str, str]) -> Response:
    name = check_function_name(params["FunctionName"])

    def delete() -> None:
        ctx.engine.get_function(name)
        ctx.engine.delete_alias(name, params["Name"])

    await run_in_threadpool(delete)
    return Response(status_code=204)


async def list_aliases(ctx: ApiContext, request: Request, params: dict[str, str]) -> Response:
    name = check_function_name(params["FunctionName"])
    version = _version(request.query_params.get("FunctionVersion") or None, required=False)

    def collect() -> list[dict[str, Any]]:
        ctx.engine.get_function(name)  # 404 for an unknown function
        rows: list[dict[str, Any]] = ctx.engine.list_aliases(name)
        arn = ctx.engine.function_arn(name)
        return [
            alias_configuration(arn, a)
            for a in rows
            if version is None
            or a["FunctionVersion"] == version
            or version in a["RoutingConfig"]["AdditionalVersionWeights"]
        ]

    return json_response(page(await run_in_threadpool(collect), request, "Aliases"))


ROUTES: list[RouteSpec] = [
    ("POST", _ALIASES, create_alias),
    ("GET", _ALIASES, list_aliases),
    ("GET", f"{_ALIASES}/{{Name}}", get_alias),
    ("PUT", f"{_ALIASES}/{{Name}}", update_alias),
    ("DELETE", f"{_ALIASES}/{{Name}}", delete_alias),
]
