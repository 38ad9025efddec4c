"""The function registry's use cases: functions, versions, aliases, reserved concurrency.

Each function is one transaction; the rules (qualifiers, routing, revision checks) live in
``engine/functions.py``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from durable_lambda_server.engine import functions
from durable_lambda_server.engine.alias_rules import MAX_VERSION_DIGITS
from durable_lambda_server.engine.messages import FunctionRecord
from durable_lambda_server.engine.resources import NAME, EngineResources
from durable_lambda_server.wire.errors import (
    InvalidParameterValueException,
    ResourceNotFoundException,
)


# -- functions ---------------------------------------------------------------------------
def put_function(r: EngineResources, record: FunctionRecord) -> None:
    """Registers a function or replaces its ``$LATEST`` (an upsert, for embedding and tests)."""
    if not NAME.match(record.name):
        raise InvalidParameterValueException(f"invalid function name {record.name!r}")
    with r.write() as tx:
        tx.put_function(
            record.name, record.handler, json.dumps(record.config_dict()), r.clock.now_ms()
        )


def get_function(r: EngineResources, name: str, qualifier: str | None = None) -> FunctionRecord:
    """The function at ``qualifier`` ($LATEST, a version or an alias).

    ``name`` may also be an ARN or ``name:qualifier``; an alias resolves to one version.
    """
    base, inline = functions.parse_function_ref(name)
    wanted = qualifier or inline
    if wanted is not None and wanted.isdigit() and len(wanted) > MAX_VERSION_DIGITS:
        # No such version; int() of a 4300+ digit string would raise ValueError.
        raise ResourceNotFoundException(f"Function not found: {r.function_arn(base)}:{wanted[:32]}")
    with r.read() as tx:
        return functions.resolve_function(tx, base, wanted, r.function_arn(base), r.ids)


def list_functions(r: EngineResources) -> list[FunctionRecord]:
    """``$LATEST`` of every function, by name."""
    with r.read() as tx:
        rows = tx.list_functions()
    return [functions.record_from_row(n, h, c, r.function_arn(n), "$LATEST") for n, h, c in rows]


def delete_function(r: EngineResources, name: str) -> None:
    """Deletes a function with its versions and aliases; its executions stay readable."""
    with r.write() as tx:
        if not tx.delete_function(name):
            raise ResourceNotFoundException(f"Function not found: {r.function_arn(name)}")


def publish_version(r: EngineResources, name: str) -> FunctionRecord:
    """Publishes ``$LATEST`` as the next version, unconditionally; returns that version."""
    with r.write() as tx:
        row = tx.get_function(name)
        if row is None:
            raise ResourceNotFoundException(f"Function not found: {r.function_arn(name)}")
        version = tx.publish_version(name, row[1], row[2], r.clock.now_ms())
    return get_function(r, name, str(version))


def list_versions(r: EngineResources, name: str) -> list[FunctionRecord]:
    """ListVersionsByFunction: ``$LATEST``, then the published versions in order."""
    with r.read() as tx:
        latest = tx.get_function(name)
        if latest is None:
            raise ResourceNotFoundException(f"Function not found: {r.function_arn(name)}")
        rows = tx.list_versions(name)
    arn = r.function_arn(name)
    out = [functions.record_from_row(name, latest[1], latest[2], arn, "$LATEST")]
    out += [functions.record_from_row(name, h, c, arn, str(v)) for v, h, c in rows]
    return out


def put_alias(
    r: EngineResources,
    name: str,
    alias: str,
    version: str,
    *,
    routing: dict[str, float] | None = None,
    description: str = "",
) -> dict[str, Any]:
    """Creates or replaces an alias (an upsert, for embedding and tests); returns it."""
    with r.write() as tx:
        return functions.create_or_update_alias(
            tx, name, alias, version, routing=routing, description=description
        )


def get_alias(r: EngineResources, name: str, alias: str) -> dict[str, Any]:
    """GetAlias: the alias's version, description and routing."""
    with r.read() as tx:
        row = tx.get_alias(name, alias)
    if row is None:
        raise ResourceNotFoundException(f"Alias not found: {r.function_arn(name)}:{alias}")
    return {
        "Name": alias,
        "FunctionVersion": row[0],
        "Description": row[2],
        "RoutingConfig": {"AdditionalVersionWeights": json.loads(row[1])},
    }


def delete_alias(r: EngineResources, name: str, alias: str) -> None:
    """DeleteAlias: removes the alias (404 if there is none)."""
    with r.write() as tx:
        if not tx.delete_alias(name, alias):
            raise ResourceNotFoundException(f"Alias not found: {r.function_arn(name)}:{alias}")


def list_aliases(r: EngineResources, name: str) -> list[dict[str, Any]]:
    """ListAliases: the function's aliases, by name."""
    with r.read() as tx:
        rows = tx.list_aliases(name)
    return [
        {
            "Name": a,
            "FunctionVersion": v,
            "Description": d,
            "RoutingConfig": {"AdditionalVersionWeights": json.loads(r)},
        }
        for a, v, r, d in rows
    ]


# API-facing registry changes: each one transaction with its checks (engine/functions.py).
def create_function(r: EngineResources, record: FunctionRecord) -> None:
    """CreateFunction: like ``put_function`` but a taken name is a 409."""
    if not NAME.match(record.name):
        raise InvalidParameterValueException(f"invalid function name {record.name!r}")
    with r.write() as tx:
        functions.insert_function(tx, record, r.clock.now_ms())


def update_function(
    r: EngineResources,
    name: str,
    change: Callable[[FunctionRecord], FunctionRecord],
    revision_id: str | None = None,
) -> FunctionRecord:
    """UpdateFunctionCode / UpdateFunctionConfiguration: applies ``change`` to ``$LATEST``."""
    with r.write() as tx:
        return functions.update_function(
            tx,
            name,
            change,
            function_arn=r.function_arn(name),
            now_ms=r.clock.now_ms(),
            revision_id=revision_id,
        )


def publish_function_version(r: EngineResources, name: str, **preconditions: Any) -> FunctionRecord:
    """PublishVersion (``description``, ``code_sha256``, ``revision_id``); unchanged -> newest."""
    with r.write() as tx:
        return functions.publish(
            tx,
            name,
            function_arn=r.function_arn(name),
            now_ms=r.clock.now_ms(),
            **preconditions,
        )


def delete_function_version(r: EngineResources, name: str, qualifier: str) -> None:
    """DeleteFunction with a version ``Qualifier``: deletes that published version."""
    with r.write() as tx:
        functions.delete_version(tx, name, qualifier, function_arn=r.function_arn(name))


def create_alias(
    r: EngineResources, name: str, alias: str, version: str, **fields: Any
) -> dict[str, Any]:
    """CreateAlias: a new alias only (409 when it exists)."""
    with r.write() as tx:
        return functions.create_alias(
            tx, name, alias, version, function_arn=r.function_arn(name), **fields
        )


def update_alias(r: EngineResources, name: str, alias: str, **fields: Any) -> dict[str, Any]:
    """UpdateAlias: changes the fields given, checking ``revision_id`` if given."""
    with r.write() as tx:
        return functions.update_alias(tx, name, alias, function_arn=r.function_arn(name), **fields)


# -- reserved concurrency (PutFunctionConcurrency) ----------------------------------------
def put_function_concurrency(r: EngineResources, name: str, reserved: int) -> int:
    """At most ``reserved`` invocations of ``name`` (every version) run at once; 0 throttles all."""
    if isinstance(reserved, bool) or not isinstance(reserved, int) or not 0 <= reserved < 2**31:
        raise InvalidParameterValueException(
            "ReservedConcurrentExecutions must be an integer of at least 0"
        )
    with r.write() as tx:
        if not tx.set_reserved_concurrency(name, reserved):
            raise ResourceNotFoundException(f"Function not found: {r.function_arn(name)}")
    r.notify()  # a raised limit lets queued executions run now, not at the next poll
    return reserved


def get_function_concurrency(r: EngineResources, name: str) -> int | None:
    """The reserved concurrency of ``name``; ``None`` when it draws on the unreserved pool."""
    with r.read() as tx:
        if tx.get_function(name) is None:
            raise ResourceNotFoundException(f"Function not found: {r.function_arn(name)}")
        return tx.get_reserved_concurrency(name)


def delete_function_concurrency(r: EngineResources, name: str) -> None:
    """DeleteFunctionConcurrency: the function draws on the unreserved pool again."""
    with r.write() as tx:
        if not tx.set_reserved_concurrency(name, None):
            raise ResourceNotFoundException(f"Function not found: {r.function_arn(name)}")
    r.notify()
