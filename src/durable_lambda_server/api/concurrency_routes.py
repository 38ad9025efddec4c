"""Reserved concurrency: Put/Get/DeleteFunctionConcurrency (lambda-api.md §2)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from durable_lambda_server.api.app import ApiContext, RouteSpec
from durable_lambda_server.api.function_routes import function_name
from durable_lambda_server.api.http_codec import json_response, read_json_object
from durable_lambda_server.wire.errors import InvalidParameterValueException

__all__ = ["ROUTES"]


async def put_concurrency(ctx: ApiContext, request: Request, params: dict[str, str]) -> Response:
    body = await read_json_object(request)
    name = function_name(params)
    value = body.get("ReservedConcurrentExecutions")
    if value is None:
        raise InvalidParameterValueException("ReservedConcurrentExecutions is required")
    reserved = await run_in_threadpool(ctx.engine.put_function_concurrency, name, value)
    return json_response({"ReservedConcurrentExecutions": reserved})


async def get_concurrency(ctx: ApiContext, request: Request, params: dict[str, str]) -> Response:
    reserved = await run_in_threadpool(ctx.engine.get_function_concurrency, function_name(params))
    return json_response({} if reserved is None else {"ReservedConcurrentExecutions": reserved})


async def delete_concurrency(ctx: ApiContext, request: Request, params: dict[str, str]) -> Response:
    await run_in_threadpool(ctx.engine.delete_function_concurrency, function_name(params))
    return Response(status_code=204)


ROUTES: list[RouteSpec] = [
    ("PUT", "/2017-10-31/functions/{FunctionName}/concurrency", put_concurrency),
    ("GET", "/2019-09-30/functions/{FunctionName}/concurrency", get_concurrency),
    ("DELETE", "/2017-10-31/functions/{FunctionName}/concurrency", delete_concurrency),
]
