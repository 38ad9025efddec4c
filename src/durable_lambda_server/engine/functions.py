"""The local function registry: functions, published versions, aliases, qualifier resolution.

A qualifier is ``$LATEST``, a published version number or an alias. An alias resolves to a
version when an execution starts (with weighted routing to an additional version when
configured), so an execution always runs one fixed version (lambda-api.md §3.2, §5).
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from durable_lambda_server.engine.alias_rules import MAX_VERSION_DIGITS, check_alias
from durable_lambda_server.engine.ids import IdSource
from durable_lambda_server.engine.messages import FunctionRecord
from durable_lambda_server.store.base import Transaction
from durable_lambda_server.wire.errors import (
    InvalidParameterValueException,
    PreconditionFailedException,
    ResourceConflictException,
    ResourceNotFoundException,
)

__all__ = [
    "PreconditionFailedException",
    "alias_revision",
    "create_alias",
    "create_or_update_alias",
    "delete_version",
    "function_revision",
    "insert_function",
    "parse_function_ref",
    "publish",
    "record_from_row",
    "resolve_function",
    "update_alias",
    "update_function",
]

_REVISION_NS = uuid.UUID("6f1c1b5e-8a53-4a52-9d0e-3f1d2a0c7b11")
# api_config key holding the highest version number ever published (numbers are never reused).
LAST_PUBLISHED = "LastPublishedVersion"
MAX_FUNCTION_REF_CHARS = 256  # FunctionName: a name, name:qualifier or ARN
ARN_FUNCTION_PARTS = 7  # arn:aws:lambda:region:account:function:name (then :qualifier)


def parse_function_ref(ref: str) -> tuple[str, str | None]:
    """Splits ``name``, ``name:qualifier`` or a function ARN into (name, qualifier or None)."""
    if not isinstance(ref, str) or not ref:
        raise InvalidParameterValueException("FunctionName is required")
    if len(ref) > MAX_FUNCTION_REF_CHARS:
        raise InvalidParameterValueException("FunctionName must be at most 256 characters")
    if ref.startswith("arn:"):
        parts = ref.split(":")
        if (
            len(parts) < ARN_FUNCTION_PARTS
            or parts[2] != "lambda"
            or parts[5] != "function"
            or not parts[6]
        ):
            raise InvalidParameterValueException(f"invalid function ARN {ref!r}")
        return parts[6], (parts[7] if len(parts) > ARN_FUNCTION_PARTS and parts[7] else None)
    name, sep, qualifier = ref.partition(":")
    if not name:
        raise InvalidParameterValueException(f"invalid function name {ref!r}")
    return name, (qualifier if sep and qualifier else None)


def record_from_row(
    name: str, handler: str, config: str, function_arn: str, version: str
) -> FunctionRecord:
    """Builds the ``FunctionRecord`` of a stored function or version row."""
    data: dict[str, Any] = json.loads(config)
    return FunctionRecord(
        name=name, handler=handler, function_arn=function_arn, version=version, **data
    )


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


def _alias_dict(
    alias: str, version: str, weights: dict[str, float], description: str
) -> dict[str, Any]:
    return {
        "Name": alias,
        "FunctionVersion": version,
        "Description": description,
        "RoutingConfig": {"AdditionalVersionWeights": weights},
    }


def alias_revision(alias: dict[str, Any]) -> str:
    """The alias ``RevisionId``: derived from its content, so it changes whenever the alias does."""
    text = json.dumps(alias, sort_keys=True)
    return str(uuid.uuid5(_REVISION_NS, f"alias:{text}"))


def create_or_update_alias(
    tx: Transaction,
    name: str,
    alias: str,
    version: str,
    *,
    routing: dict[str, float] | None = None,
    description: str = "",
) -> dict[str, Any]:
    """Creates or replaces an alias after checking it; returns it as the API shows it."""
    weights = {str(k): float(v) for k, v in (routing or {}).items()}
    check_alias(tx, name, alias, version, weights, description=description)
    tx.put_alias(name, alias, version, json.dumps(weights), description)
    return _alias_dict(alias, version, weights, description)


def create_alias(
    tx: Transaction,
    name: str,
    alias: str,
    version: str,
    *,
    routing: dict[str, float] | None,
    description: str,
    function_arn: str,
) -> dict[str, Any]:
    """CreateAlias: a new alias only (409 ``ResourceConflictException`` when it exists)."""
    if isinstance(alias, str) and tx.get_alias(name, alias) is not None:
        raise ResourceConflictException(f"Alias already exists: {function_arn}:{alias}")
    return create_or_update_alias(
        tx, name, alias, version, routing=routing, description=description
    )


def update_alias(
    tx: Transaction,
    name: str,
    alias: str,
    *,
    function_arn: str,
    version: str | None = None,
    routing: dict[str, float] | None = None,
    description: str | None = None,
    revision_id: str | None = None,
) -> dict[str, Any]:
    """UpdateAlias: absent fields keep their value; ``revision_id`` must match the current one."""
    row = tx.get_alias(name, alias)
    if row is None:
        raise ResourceNotFoundException(f"Alias not found: {function_arn}:{alias}")
    current = _alias_dict(alias, row[0], json.loads(row[1]), row[2])
    if revision_id is not None and revision_id != alias_revision(current):
        raise PreconditionFailedException(
            "The Revision Id provided does not match the latest Revision Id. "
            "Call the GetAlias API to retrieve the latest Revision Id"
        )
    return create_or_update_alias(
        tx,
        name,
        alias,
        version if version is not None else row[0],
        routing=routing
        if routing is not None
        else current["RoutingConfig"]["AdditionalVersionWeights"],
        description=description if description is not None else row[2],
    )


# -- functions and versions ------------------------------------------------------------------------
def function_revision(record: FunctionRecord) -> str:
    """The ``RevisionId`` of one function version.

    New on every change to ``$LATEST`` (the API stores a fresh ``api_config["RevisionId"]`` per
    update) and distinct per published version.
    """
    base = (record.api_config or {}).get("RevisionId")
    if not isinstance(base, str):
        config = {k: v for k, v in record.config_dict().items() if k != "api_config"}
        api = {k: v for k, v in (record.api_config or {}).items() if k != LAST_PUBLISHED}
        base = hashlib.sha256(
            json.dumps([record.handler, config, api], sort_keys=True).encode()
        ).hexdigest()
    return str(uuid.uuid5(_REVISION_NS, f"{record.name}:{record.version}:{base}"))


def _precondition(
    record: FunctionRecord, revision_id: str | None, code_sha256: str | None = None
) -> None:
    if revision_id is not None and revision_id != function_revision(record):
        raise PreconditionFailedException(
            "The Revision Id provided does not match the latest Revision Id. "
            "Call the GetFunction/GetAlias API to retrieve the latest Revision Id"
        )
    if code_sha256 is not None and code_sha256 != (record.api_config or {}).get("CodeSha256"):
        raise PreconditionFailedException(
            f"CodeSHA256 ({code_sha256}) is different from current CodeSHA256 in $LATEST. "
            "Please try again"
        )


def _latest(tx: Transaction, name: str, function_arn: str) -> FunctionRecord:
    row = tx.get_function(name)
    if row is None:
        raise ResourceNotFoundException(f"Function not found: {function_arn}")
    return record_from_row(row[0], row[1], row[2], function_arn, "$LATEST")


def insert_function(tx: Transaction, record: FunctionRecord, now_ms: int) -> None:
    """CreateFunction: a new name only (409 ``ResourceConflictException`` when it exists)."""
    if tx.get_function(record.name) is not None:
        raise ResourceConflictException(f"Function already exist: {record.name}")
    tx.put_function(record.name, record.handler, json.dumps(record.config_dict()), now_ms)


def update_function(
    tx: Transaction,
    name: str,
    change: Callable[[FunctionRecord], FunctionRecord],
    *,
    function_arn: str,
    now_ms: int,
    revision_id: str | None = None,
) -> FunctionRecord:
    """Replaces ``$LATEST`` with ``change(current)`` after checking ``revision_id``.

    Published versions are separate rows and are never touched.
    """
    current = _latest(tx, name, function_arn)
    _precondition(current, revision_id)
    new = change(current)
    tx.put_function(name, new.handler, json.dumps(new.config_dict()), now_ms)
    return replace(new, name=name, function_arn=function_arn, version="$LATEST")


def _same_as(version: FunctionRecord, latest: FunctionRecord) -> bool:
    """Whether ``version`` was published from ``latest`` as it is now (nothing changed since)."""
    mine, theirs = version.api_config or {}, latest.api_config or {}
    if "RevisionId" in theirs:
        return bool(mine.get("RevisionId") == theirs["RevisionId"])
    strip = {LAST_PUBLISHED}
    a = {**version.config_dict(), "api_config": {k: v for k, v in mine.items() if k not in strip}}
    b = {**latest.config_dict(), "api_config": {k: v for k, v in theirs.items() if k not in strip}}
    return version.handler == latest.handler and a == b


def publish(
    tx: Transaction,
    name: str,
    *,
    function_arn: str,
    now_ms: int,
    description: str | None = None,
    code_sha256: str | None = None,
    revision_id: str | None = None,
) -> FunctionRecord:
    """PublishVersion: snapshots ``$LATEST`` into the next version number.

    Returns the newest version instead when nothing changed since it was published. Numbers are
    never reused after a delete.
    """
    latest = _latest(tx, name, function_arn)
    _precondition(latest, revision_id, code_sha256)
    versions = tx.list_versions(name)
    if versions:
        number, handler, config = versions[-1]
        newest = record_from_row(name, handler, config, function_arn, str(number))
        if _same_as(newest, latest):
            return newest
    api = dict(latest.api_config or {})
    previous = api.get(LAST_PUBLISHED)
    last = max([previous if isinstance(previous, int) else 0] + [v for v, _, _ in versions])
    snapshot_api = {k: v for k, v in api.items() if k != LAST_PUBLISHED}
    if description is not None:
        snapshot_api["Description"] = description
    snapshot = replace(latest, api_config=snapshot_api)
    number = tx.publish_version(
        name, latest.handler, json.dumps(snapshot.config_dict()), now_ms, version=last + 1
    )
    bumped = replace(latest, api_config={**api, LAST_PUBLISHED: number})
    tx.put_function(name, latest.handler, json.dumps(bumped.config_dict()), now_ms)
    return replace(snapshot, version=str(number))


def delete_version(tx: Transaction, name: str, qualifier: str, *, function_arn: str) -> None:
    """DeleteFunction with a version ``Qualifier``: deletes that published version.

    Refused for ``$LATEST``, an alias, a version an alias routes to, and a version with running
    durable executions.
    """
    if qualifier == "$LATEST":
        raise InvalidParameterValueException(
            "$LATEST version cannot be deleted without deleting the function."
        )
    if not qualifier.isdigit():
        raise InvalidParameterValueException(
            f"Qualifier {qualifier!r} is not a version number: delete an alias with DeleteAlias"
        )
    _latest(tx, name, function_arn)
    if len(qualifier) > MAX_VERSION_DIGITS or tx.get_version(name, int(qualifier)) is None:
        raise ResourceNotFoundException(f"Function not found: {function_arn}:{qualifier}")
    for alias, version, routing, _ in tx.list_aliases(name):
        if version == qualifier or qualifier in json.loads(routing):
            raise ResourceConflictException(
                f"Unable to delete version because the following aliases reference it: [{alias}]"
            )
    running = tx.list_executions(function_name=name, statuses=["RUNNING"])
    if any(ex.version == qualifier for ex in running):
        raise ResourceConflictException(
            f"Version {qualifier} has running durable executions: stop them or let them "
            "finish first"
        )
    tx.delete_version(name, int(qualifier))
