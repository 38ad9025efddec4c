"""Function management under ``/2015-03-31/`` (lambda-api.md §2, §5): CreateFunction,
GetFunction(Configuration), DeleteFunction, ListFunctions, PublishVersion,
ListVersionsByFunction and the alias operations.

Functions created here are durable when the request carries ``DurableConfig`` and plain
otherwise; they run in worker processes (the server's runtime is opened with the process
invoker).
"""

from __future__ import annotations

from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from durable_lambda.api.app import ApiContext, RouteSpec
from durable_lambda.api.code import (
    alias_configuration,
    decode_zip,
    extract_code,
    function_configuration,
    handler_spec,
    new_api_config,
)
from durable_lambda.api.wire import int_query, json_response, read_json_object
from durable_lambda.engine import functions
from durable_lambda.engine.records import FunctionRecord
from durable_lambda.wire.errors import (
    InvalidParameterValueException,
    ResourceConflictException,
    ResourceNotFoundException,
)

__all__ = ["ROUTES"]

_FN = "/2015-03-31/functions/{FunctionName}"
_PAGE = 50


def _int_field(body: dict[str, Any], key: str, default: int, low: int, high: int) -> int:
    value = body.get(key, default)
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidParameterValueException(f"{key} must be an integer between {low} and {high}")
    return value


def _environment(body: dict[str, Any]) -> dict[str, str]:
    env = body.get("Environment") or {}
    variables = env.get("Variables") if isinstance(env, dict) else None
    if variables is None:
        return {}
    if not isinstance(variables, dict) or not all(isinstance(v, str) for v in variables.values()):
        raise InvalidParameterValueException("Environment.Variables must map names to strings")
    return {str(k): v for k, v in variables.items()}


def _build_record(ctx: ApiContext, body: dict[str, Any]) -> FunctionRecord:
    name = body.get("FunctionName")
    if not isinstance(name, str) or not name:
        raise InvalidParameterValueException("FunctionName is required")
    name = functions.parse_function_ref(name)[0]
    data = decode_zip(body.get("Code"))
    handler = body.get("Handler")
    handler_spec(ctx.state_dir, handler)  # validate before writing anything
    durable_config = body.get("DurableConfig")
    if durable_config is not None and not isinstance(durable_config, dict):
        raise InvalidParameterValueException("DurableConfig must be an object")
    durable = durable_config is not None
    dc = durable_config or {}
    return FunctionRecord(
        name=name,
        handler="",  # set once the code is unpacked
        timeout_seconds=_int_field(body, "Timeout", 3, 1, 900),
        environment=_environment(body),
        execution_timeout_seconds=_int_field(dc, "ExecutionTimeout", 86400, 1, 31_622_400),
        retention_period_days=_int_field(dc, "RetentionPeriodInDays", 14, 1, 90),
        durable=durable,
        api_config=new_api_config(body, data),
    )


async def create_function(ctx: ApiContext, request: Request, params: dict[str, str]) -> Response:
    body = await read_json_object(request)
    draft = _build_record(ctx, body)
    data = decode_zip(body.get("Code"))

    def create() -> FunctionRecord:
        engine = ctx.engine
        try:
            engine.get_function(draft.name)
        except ResourceNotFoundException:
            pass
        else:
            raise ResourceConflictException(f"Function already exist: {draft.name}")
        code_dir = extract_code(ctx.state_dir, draft.name, data)
        spec = handler_spec(code_dir, body.get("Handler"))
        record = FunctionRecord(
            name=draft.name, handler=spec, timeout_seconds=draft.timeout_seconds,
            environment=draft.environment, execution_timeout_seconds=draft.execution_timeout_seconds,
            retention_period_days=draft.retention_period_days, durable=draft.durable,
            api_config=draft.api_config,
        )
        engine.put_function(record)
        if body.get("Publish") is True:
            published: FunctionRecord = engine.publish_version(draft.name)
            return published
        latest: FunctionRecord = engine.get_function(draft.name)
        return latest

    record = await run_in_threadpool(create)
    return json_response(function_configuration(record), status=201)


async def _resolve(ctx: ApiContext, request: Request, params: dict[str, str]) -> FunctionRecord:
    qualifier = request.query_params.get("Qualifier") or None
    record: FunctionRecord = await run_in_threadpool(ctx.engine.get_function, params["FunctionName"], qualifier)
    return record


async def get_function(ctx: ApiContext, request: Request, params: dict[str, str]) -> Response:
    record = await _resolve(ctx, request, params)
    code_dir = record.handler.rpartition(":")[0]
    return json_response({
        "Configuration": function_configuration(record),
        "Code": {"RepositoryType": "S3", "Location": f"file://{code_dir}"},
    })


async def get_configuration(ctx: ApiContext, request: Request, params: dict[str, str]) -> Response:
    return json_response(function_configuration(await _resolve(ctx, request, params)))


async def delete_function(ctx: ApiContext, request: Request, params: dict[str, str]) -> Response:
    name, inline = functions.parse_function_ref(params["FunctionName"])
    if request.query_params.get("Qualifier") or inline:
        raise InvalidParameterValueException("Deleting a single version is not supported yet")
    await run_in_threadpool(ctx.engine.delete_function, name)
    return Response(status_code=204)


def _page(items: list[dict[str, Any]], request: Request, key: str) -> dict[str, Any]:
    marker = request.query_params.get("Marker") or "0"
    if not marker.isdigit():
        raise InvalidParameterValueException("Invalid Marker")
    start = int(marker)
    size = min(int_query(request, "MaxItems") or _PAGE, _PAGE)
    if size < 1:
        raise InvalidParameterValueException("MaxItems must be at least 1")
    out: dict[str, Any] = {key: items[start:start + size]}
    if start + size < len(items):
        out["NextMarker"] = str(start + size)
    return out


async def list_functions(ctx: ApiContext, request: Request, params: dict[str, str]) -> Response:
    all_versions = request.query_params.get("FunctionVersion") == "ALL"

    def collect() -> list[dict[str, Any]]:
        records: list[FunctionRecord] = ctx.engine.list_functions()
        if all_versions:
            records = [v for r in records for v in ctx.engine.list_versions(r.name)]
        return [function_configuration(r) for r in records]

    return json_response(_page(await run_in_threadpool(collect), request, "Functions"))


async def publish_version(ctx: ApiContext, request: Request, params: dict[str, str]) -> Response:
    await read_json_object(request)
    name = functions.parse_function_ref(params["FunctionName"])[0]
    record = await run_in_threadpool(ctx.engine.publish_version, name)
    return json_response(function_configuration(record), status=201)


async def list_versions(ctx: ApiContext, request: Request, params: dict[str, str]) -> Response:
    name = functions.parse_function_ref(params["FunctionName"])[0]
    records = await run_in_threadpool(ctx.engine.list_versions, name)
    configs = [function_configuration(r) for r in records]
    return json_response(_page(configs, request, "Versions"))


def _routing(body: dict[str, Any]) -> dict[str, float] | None:
    routing = body.get("RoutingConfig") or {}
    weights = routing.get("AdditionalVersionWeights") if isinstance(routing, dict) else None
    if weights is None:
        return None
    if not isinstance(weights, dict) or not all(isinstance(w, (int, float)) for w in weights.values()):
        raise InvalidParameterValueException("AdditionalVersionWeights must map versions to weights")
    return {str(k): float(v) for k, v in weights.items()}


async def create_alias(ctx: ApiContext, request: Request, params: dict[str, str]) -> Response:
    body = await read_json_object(request)
    name = functions.parse_function_ref(params["FunctionName"])[0]
    alias, version = body.get("Name"), body.get("FunctionVersion")
    if not isinstance(alias, str) or not isinstance(version, str):
        raise InvalidParameterValueException("Name and FunctionVersion are required")

    def create() -> dict[str, Any]:
        try:
            ctx.engine.get_alias(name, alias)
        except ResourceNotFoundException:
            pass
        else:
            raise ResourceConflictException(f"Alias already exists: {ctx.engine.function_arn(name)}:{alias}")
        result: dict[str, Any] = ctx.engine.put_alias(
            name, alias, version, routing=_routing(body), description=str(body.get("Description") or "")
        )
        return result

    out = await run_in_threadpool(create)
    return json_response(alias_configuration(ctx.engine.function_arn(name), out), status=201)


async def update_alias(ctx: ApiContext, request: Request, params: dict[str, str]) -> Response:
    body = await read_json_object(request)
    name = functions.parse_function_ref(params["FunctionName"])[0]
    alias = params["Name"]

    def update() -> dict[str, Any]:
        current = ctx.engine.get_alias(name, alias)
        routing = _routing(body)
        result: dict[str, Any] = ctx.engine.put_alias(
            name, alias, str(body.get("FunctionVersion") or current["FunctionVersion"]),
            routing=routing if routing is not None else current["RoutingConfig"]["AdditionalVersionWeights"],
            description=str(body["Description"]) if "Description" in body else current["Description"],
        )
        return result

    out = await run_in_threadpool(update)
    return json_response(alias_configuration(ctx.engine.function_arn(name), out))


async def get_alias(ctx: ApiContext, request: Request, params: dict[str, str]) -> Response:
    name = functions.parse_function_ref(params["FunctionName"])[0]
    out = await run_in_threadpool(ctx.engine.get_alias, name, params["Name"])
    return json_response(alias_configuration(ctx.engine.function_arn(name), out))


async def delete_alias(ctx: ApiContext, request: Request, params: dict[str, str]) -> Response:
    name = functions.parse_function_ref(params["FunctionName"])[0]
    await run_in_threadpool(ctx.engine.delete_alias, name, params["Name"])
    return Response(status_code=204)


async def list_aliases(ctx: ApiContext, request: Request, params: dict[str, str]) -> Response:
    name = functions.parse_function_ref(params["FunctionName"])[0]

    def collect() -> list[dict[str, Any]]:
        ctx.engine.get_function(name)  # 404 for an unknown function
        rows: list[dict[str, Any]] = ctx.engine.list_aliases(name)
        version = request.query_params.get("FunctionVersion")
        arn = ctx.engine.function_arn(name)
        return [alias_configuration(arn, a) for a in rows if version is None or a["FunctionVersion"] == version]

    return json_response(_page(await run_in_threadpool(collect), request, "Aliases"))


ROUTES: list[RouteSpec] = [
    ("POST", "/2015-03-31/functions", create_function),
    ("GET", "/2015-03-31/functions", list_functions),
    ("GET", _FN, get_function),
    ("DELETE", _FN, delete_function),
    ("GET", f"{_FN}/configuration", get_configuration),
    ("POST", f"{_FN}/versions", publish_version),
    ("GET", f"{_FN}/versions", list_versions),
    ("POST", f"{_FN}/aliases", create_alias),
    ("GET", f"{_FN}/aliases", list_aliases),
    ("GET", f"{_FN}/aliases/{{Name}}", get_alias),
    ("PUT", f"{_FN}/aliases/{{Name}}", update_alias),
    ("DELETE", f"{_FN}/aliases/{{Name}}", delete_alias),
]
