"""Function management operations under ``/2015-03-31/`` (lambda-api.md §2, §5).

CreateFunction, GetFunction(Configuration), UpdateFunctionCode, UpdateFunctionConfiguration,
DeleteFunction, ListFunctions, PublishVersion, ListVersionsByFunction and
Put/Get/DeleteFunctionConcurrency; the alias operations are in ``alias_routes`` and served from
the same table.

Functions created here are durable when the request carries ``DurableConfig`` and plain
otherwise; they run in worker processes (the server's runtime is opened with the process
invoker). Every upload unpacks into a new code directory, so a published version keeps its code
and configuration whatever later happens to ``$LATEST``.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from durable_lambda_server.api import alias_routes
from durable_lambda_server.api.app import ApiContext, RouteSpec
from durable_lambda_server.api.code_package import (
    check_zip,
    code_dir_of,
    code_fields,
    decode_zip,
    discard_code,
    extract_code,
    handler_spec,
)
from durable_lambda_server.api.function_config import (
    check_architectures,
    check_description,
    check_durable_config,
    check_environment,
    check_function_name,
    check_handler,
    check_memory,
    check_role,
    check_runtime,
    check_timeout,
)
from durable_lambda_server.api.function_views import (
    function_configuration,
    last_modified,
    new_revision,
)
from durable_lambda_server.api.http_codec import json_response, page, read_json_object
from durable_lambda_server.engine import FunctionRecord, functions
from durable_lambda_server.wire.errors import (
    InvalidParameterValueException,
    LambdaApiError,
    PreconditionFailedException,
    ResourceConflictException,
    ResourceNotFoundException,
)

__all__ = ["ROUTES", "function_name", "qualified_name"]

_FN = "/2015-03-31/functions/{FunctionName}"
_QUALIFIER = re.compile(r"^(\$LATEST(\.PUBLISHED)?|[a-zA-Z0-9_$-]{1,128})$")


def function_name(params: dict[str, str]) -> str:
    """The function the path names (an ARN or ``name``; a qualifier is not allowed here)."""
    return check_function_name(params["FunctionName"])


def qualified_name(request: Request, params: dict[str, str]) -> tuple[str, str | None]:
    """(name, qualifier) from the path (``name:qualifier`` or an ARN) and ``?Qualifier=``.

    The two must agree when both are given, as in Lambda.
    """
    name, inline = functions.parse_function_ref(params["FunctionName"])
    query = request.query_params.get("Qualifier") or None
    if query is not None and inline is not None and query != inline:
        raise InvalidParameterValueException(
            "The derived qualifier from the function name does not match the specified qualifier."
        )
    qualifier = query or inline
    if qualifier is not None and not _QUALIFIER.fullmatch(qualifier):
        raise InvalidParameterValueException(f"Invalid Qualifier {qualifier[:130]!r}")
    return name, qualifier


def _flag(body: dict[str, Any], key: str) -> bool:
    value = body.get(key)
    if value is not None and not isinstance(value, bool):
        raise InvalidParameterValueException(f"{key} must be true or false")
    return bool(value)


def _text(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is not None and not isinstance(value, str):
        raise InvalidParameterValueException(f"{key} must be a string")
    return value


def _describe(
    ctx: ApiContext, name: str, qualifier: str | None
) -> tuple[FunctionRecord, str | None]:
    """The version ``qualifier`` names and the qualifier for its ARN.

    An alias resolves to the version it points at, ignoring any traffic split.
    """
    engine = ctx.engine
    if qualifier is None or qualifier == "$LATEST" or qualifier.isdigit():
        return engine.get_function(name, qualifier), (qualifier if qualifier == "$LATEST" else None)
    engine.get_function(name)  # "Function not found" before "Alias not found"
    try:
        alias = engine.get_alias(name, qualifier)
    except ResourceNotFoundException:
        raise ResourceNotFoundException(
            f"Function not found: {engine.function_arn(name)}:{qualifier}"
        ) from None
    return engine.get_function(name, alias["FunctionVersion"]), qualifier


async def create_function(ctx: ApiContext, request: Request, params: dict[str, str]) -> Response:
    body = await read_json_object(request)
    name = check_function_name(body.get("FunctionName"))
    if body.get("PackageType") not in (None, "Zip"):
        raise InvalidParameterValueException("Only PackageType Zip is supported")
    runtime, handler = check_runtime(body.get("Runtime")), check_handler(body.get("Handler"))
    role = check_role(body.get("Role"))
    timeout, memory = check_timeout(body), check_memory(body)
    description = check_description(body.get("Description"))
    environment = check_environment(body.get("Environment"))
    architectures = check_architectures(body.get("Architectures")) or ["x86_64"]
    durable_config = body.get("DurableConfig")
    execution_timeout, retention = (
        check_durable_config(durable_config) if durable_config is not None else (86400, 14)
    )
    publish = _flag(body, "Publish")
    data = decode_zip(body.get("Code"))

    def create() -> FunctionRecord:
        engine = ctx.engine
        try:
            engine.get_function(name)
        except ResourceNotFoundException:
            pass
        else:
            raise ResourceConflictException(f"Function already exist: {name}")
        code_dir = extract_code(ctx.state_dir, name, data)
        api = {
            "Runtime": runtime,
            "Role": role,
            "Handler": handler,
            "Description": description,
            "MemorySize": memory or 128,
            **code_fields(data),
            "LastModified": last_modified(),
            "Architectures": architectures,
            "RevisionId": new_revision(),
            "CodeDir": str(code_dir),
        }
        record = FunctionRecord(
            name=name,
            handler=handler_spec(code_dir, handler),
            timeout_seconds=timeout or 3,
            environment=environment,
            execution_timeout_seconds=execution_timeout,
            retention_period_days=retention,
            durable=durable_config is not None,
            api_config=api,
        )
        try:
            engine.create_function(record)
        except LambdaApiError:
            discard_code(code_dir)
            raise
        if publish:
            published: FunctionRecord = engine.publish_function_version(name)
            return published
        latest: FunctionRecord = engine.get_function(name)
        return latest

    record = await run_in_threadpool(create)
    return json_response(function_configuration(record), status=201)


async def get_function(ctx: ApiContext, request: Request, params: dict[str, str]) -> Response:
    name, qualifier = qualified_name(request, params)
    record, arn_qualifier = await run_in_threadpool(_describe, ctx, name, qualifier)
    reserved = await run_in_threadpool(ctx.engine.get_function_concurrency, name)
    code_dir = code_dir_of(record)
    location = (
        f"file://{code_dir}"
        if code_dir is not None
        else f"file://{record.handler.rpartition(':')[0]}"
    )
    out: dict[str, Any] = {
        "Configuration": function_configuration(record, qualifier=arn_qualifier),
        "Code": {"RepositoryType": "S3", "Location": location},
    }
    if reserved is not None:
        out["Concurrency"] = {"ReservedConcurrentExecutions": reserved}
    return json_response(out)


async def get_configuration(ctx: ApiContext, request: Request, params: dict[str, str]) -> Response:
    name, qualifier = qualified_name(request, params)
    record, arn_qualifier = await run_in_threadpool(_describe, ctx, name, qualifier)
    return json_response(function_configuration(record, qualifier=arn_qualifier))


async def update_code(ctx: ApiContext, request: Request, params: dict[str, str]) -> Response:
    body = await read_json_object(request)
    name = function_name(params)
    data = decode_zip(body)  # UpdateFunctionCode carries ZipFile at the top level
    publish, dry_run = _flag(body, "Publish"), _flag(body, "DryRun")
    revision_id = _text(body, "RevisionId")
    architectures = check_architectures(body.get("Architectures"))
    fields = code_fields(data)

    def update() -> FunctionRecord:
        engine = ctx.engine
        current: FunctionRecord = engine.get_function(name)
        if not isinstance((current.api_config or {}).get("Handler"), str):
            raise InvalidParameterValueException(
                f"Function {name} was not deployed from a zip: its code cannot be replaced"
            )
        if dry_run:
            check_zip(data).close()
            if revision_id is not None and revision_id != functions.function_revision(current):
                raise PreconditionFailedException(
                    "The Revision Id provided does not match the latest Revision Id."
                )
            return current
        code_dir = extract_code(ctx.state_dir, name, data)

        def change(cur: FunctionRecord) -> FunctionRecord:
            api = dict(cur.api_config or {})
            handler = api.get("Handler")
            if not isinstance(handler, str):
                raise InvalidParameterValueException(f"Function {name} was not deployed from a zip")
            api.update(
                fields,
                LastModified=last_modified(),
                RevisionId=new_revision(),
                CodeDir=str(code_dir),
            )
            if architectures:
                api["Architectures"] = architectures
            return replace(cur, handler=handler_spec(code_dir, handler), api_config=api)

        try:
            record: FunctionRecord = engine.update_function(name, change, revision_id)
        except LambdaApiError:
            discard_code(code_dir)
            raise
        if publish:
            record = engine.publish_function_version(name)
        return record

    return json_response(function_configuration(await run_in_threadpool(update)))


def _config_change(body: dict[str, Any]) -> Any:
    """UpdateFunctionConfiguration's body -> a change to apply to the current ``$LATEST``."""
    present = {k for k, v in body.items() if v is not None}
    handler = check_handler(body["Handler"]) if "Handler" in present else None
    runtime = check_runtime(body["Runtime"]) if "Runtime" in present else None
    role = check_role(body["Role"]) if "Role" in present else None
    timeout, memory = check_timeout(body), check_memory(body)
    description = check_description(body["Description"]) if "Description" in present else None
    environment = check_environment(body["Environment"]) if "Environment" in present else None
    durable_config = body.get("DurableConfig")

    def change(cur: FunctionRecord) -> FunctionRecord:
        api = dict(cur.api_config or {})
        spec = cur.handler
        if handler is not None:
            code_dir = code_dir_of(cur)
            if code_dir is None:
                raise InvalidParameterValueException(
                    f"Function {cur.name} was not deployed from a zip: its Handler cannot change"
                )
            spec, api["Handler"], api["CodeDir"] = (
                handler_spec(code_dir, handler),
                handler,
                str(code_dir),
            )
        for key, value in (
            ("Runtime", runtime),
            ("Role", role),
            ("MemorySize", memory),
            ("Description", description),
        ):
            if value is not None:
                api[key] = value
        execution_timeout, retention = cur.execution_timeout_seconds, cur.retention_period_days
        if durable_config is not None:
            if not cur.durable:
                raise InvalidParameterValueException(
                    "DurableConfig can only be set when a function is created: "
                    "this function is not durable"
                )
            execution_timeout, retention = check_durable_config(
                durable_config, (execution_timeout, retention)
            )
        api.update(LastModified=last_modified(), RevisionId=new_revision())
        return replace(
            cur,
            handler=spec,
            timeout_seconds=timeout if timeout is not None else cur.timeout_seconds,
            environment=environment if environment is not None else dict(cur.environment or {}),
            execution_timeout_seconds=execution_timeout,
            retention_period_days=retention,
            api_config=api,
        )

    return change


async def update_configuration(
    ctx: ApiContext, request: Request, params: dict[str, str]
) -> Response:
    body = await read_json_object(request)
    name = function_name(params)
    revision_id = _text(body, "RevisionId")
    change = _config_change(body)
    record = await run_in_threadpool(ctx.engine.update_function, name, change, revision_id)
    return json_response(function_configuration(record))


async def delete_function(ctx: ApiContext, request: Request, params: dict[str, str]) -> Response:
    name, qualifier = qualified_name(request, params)
    if qualifier is None:
        await run_in_threadpool(ctx.engine.delete_function, name)
    else:
        await run_in_threadpool(ctx.engine.delete_function_version, name, qualifier)
    return Response(status_code=204)


async def list_functions(ctx: ApiContext, request: Request, params: dict[str, str]) -> Response:
    version = request.query_params.get("FunctionVersion")
    if version not in (None, "", "ALL"):
        raise InvalidParameterValueException("FunctionVersion must be ALL")

    def collect() -> list[dict[str, Any]]:
        records: list[FunctionRecord] = ctx.engine.list_functions()
        if version == "ALL":
            records = [v for r in records for v in ctx.engine.list_versions(r.name)]
        return [function_configuration(r, listed=True) for r in records]

    return json_response(page(await run_in_threadpool(collect), request, "Functions"))


async def publish_version(ctx: ApiContext, request: Request, params: dict[str, str]) -> Response:
    body = await read_json_object(request)
    name = function_name(params)
    preconditions = {
        "code_sha256": _text(body, "CodeSha256") or None,
        "revision_id": _text(body, "RevisionId") or None,
        "description": check_description(body["Description"])
        if body.get("Description") is not None
        else None,
    }
    record = await run_in_threadpool(
        lambda: ctx.engine.publish_function_version(name, **preconditions)
    )
    return json_response(function_configuration(record), status=201)


async def list_versions(ctx: ApiContext, request: Request, params: dict[str, str]) -> Response:
    name = functions.parse_function_ref(params["FunctionName"])[0]
    records = await run_in_threadpool(ctx.engine.list_versions, name)
    return json_response(page([function_configuration(r) for r in records], request, "Versions"))


ROUTES: list[RouteSpec] = [
    ("POST", "/2015-03-31/functions", create_function),
    ("GET", "/2015-03-31/functions", list_functions),
    ("GET", _FN, get_function),
    ("DELETE", _FN, delete_function),
    ("GET", f"{_FN}/configuration", get_configuration),
    ("PUT", f"{_FN}/configuration", update_configuration),
    ("PUT", f"{_FN}/code", update_code),
    ("POST", f"{_FN}/versions", publish_version),
    ("GET", f"{_FN}/versions", list_versions),
    *alias_routes.ROUTES,
]
