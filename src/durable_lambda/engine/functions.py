"""The local function registry: functions, published versions, aliases, qualifier resolution.

A qualifier is ``$LATEST``, a published version number or an alias. An alias resolves to a
version when an execution starts (with weighted routing to an additional version when
configured), so an execution always runs one fixed version (lambda-api.md §3.2, §5).
"""

from __future__ import annotations

import json
import re
from typing import Any

from durable_lambda.engine.ids import IdSource
from durable_lambda.engine.records import FunctionRecord
from durable_lambda.store.base import Transaction
from durable_lambda.wire.errors import InvalidParameterValueException, ResourceNotFoundException

__all__ = ["create_or_update_alias", "parse_function_ref", "record_from_row", "resolve_function"]

_ALIAS = re.compile(r"^(?!^[0-9]+$)[a-zA-Z0-9-_]{1,128}$")


def parse_function_ref(ref: str) -> tuple[str, str | None]:
    """``name``, ``name:qualifier``, or a function ARN (optionally qualified) -> (name, qualifier)."""
    if not isinstance(ref, str) or not ref:
        raise InvalidParameterValueException("FunctionName is required")
    if ref.startswith("arn:"):
        parts = ref.split(":")
        if len(parts) < 7 or parts[2] != "lambda" or parts[5] != "function" or not parts[6]:
            raise InvalidParameterValueException(f"invalid function ARN {ref!r}")
        return parts[6], (parts[7] if len(parts) > 7 and parts[7] else None)
    name, sep, qualifier = ref.partition(":")
    if not name:
        raise InvalidParameterValueException(f"invalid function name {ref!r}")
    return name, (qualifier if sep and qualifier else None)


def record_from_row(name: str, handler: str, config: str, function_arn: str, version: str) -> FunctionRecord:
    data: dict[str, Any] = json.loads(config)
    return FunctionRecord(name=name, handler=handler, function_arn=function_arn, version=version, **data)


def resolve_function(
    tx: Transaction, name: str, qualifier: str | None, function_arn: str, ids: IdSource
) -> FunctionRecord:
    """The function at ``qualifier`` (an alias resolves to one concrete version)."""
    row = tx.get_function(name)
    not_found = ResourceNotFoundException(
        f"Function not found: {function_arn}" + (f":{qualifier}" if qualifier else "")
    )
    if row is None:
        raise not_found
    if qualifier is None or qualifier == "$LATEST":
        return record_from_row(row[0], row[1], row[2], function_arn, "$LATEST")
    if qualifier.isdigit():
        version = tx.get_version(name, int(qualifier))
        if version is None:
            raise not_found
        return record_from_row(name, version[0], version[1], function_arn, qualifier)
    alias = tx.get_alias(name, qualifier)
    if alias is None:
        raise not_found
    target = _route(alias[0], json.loads(alias[1]), ids)
    if target == "$LATEST":
        return record_from_row(row[0], row[1], row[2], function_arn, "$LATEST")
    version = tx.get_version(name, int(target))
    if version is None:
        raise not_found
    return record_from_row(name, version[0], version[1], function_arn, target)


def _route(primary: str, weights: dict[str, float], ids: IdSource) -> str:
    roll = ids.fraction()
    for version, weight in sorted(weights.items()):
        if roll < weight:
            return version
        roll -= weight
    return primary


def create_or_update_alias(
    tx: Transaction,
    name: str,
    alias: str,
    version: str,
    *,
    routing: dict[str, float] | None = None,
    description: str = "",
) -> dict[str, Any]:
    if not _ALIAS.match(alias or ""):
        raise InvalidParameterValueException(f"invalid alias name {alias!r}")
    if tx.get_function(name) is None:
        raise ResourceNotFoundException(f"Function not found: {name}")
    weights = dict(routing or {})
    for v in [version, *weights]:
        if v != "$LATEST" and (not str(v).isdigit() or tx.get_version(name, int(v)) is None):
            raise ResourceNotFoundException(f"Function version {v} not found for {name}")
    if any(not 0.0 <= float(w) <= 1.0 for w in weights.values()) or sum(weights.values()) > 1.0:
        raise InvalidParameterValueException("routing weights must be between 0 and 1 and sum to at most 1")
    tx.put_alias(name, alias, version, json.dumps(weights), description)
    return {"Name": alias, "FunctionVersion": version, "Description": description, "RoutingConfig": {"AdditionalVersionWeights": weights}}
