"""The rules an alias must keep before CreateAlias or UpdateAlias writes it.

It owns the checks only; ``functions.py`` writes aliases and resolves them. The checks run in a
fixed order (name, function, description, version, routing, then existence), so a request that
breaks several rules always gets the same error.
"""

from __future__ import annotations

import re

from durable_lambda_server.store.base import Transaction
from durable_lambda_server.wire.errors import (
    InvalidParameterValueException,
    ResourceNotFoundException,
)

__all__ = ["MAX_DESCRIPTION_CHARS", "MAX_VERSION_DIGITS", "check_alias"]

MAX_DESCRIPTION_CHARS = 256
# A version number is a signed 64-bit integer: longer digit strings name no version.
MAX_VERSION_DIGITS = 19

_ALIAS = re.compile(r"^(?!^[0-9]+$)[a-zA-Z0-9-_]{1,128}$")


def check_alias(
    tx: Transaction,
    name: str,
    alias: str,
    version: str,
    weights: dict[str, float],
    *,
    description: str,
) -> None:
    """Checks an alias before it is written: its name, function, description, then versions."""
    if not isinstance(alias, str) or not _ALIAS.match(alias):
        raise InvalidParameterValueException(
            f"Alias name {alias!r} must be 1-128 characters of [a-zA-Z0-9-_] and not all digits"
        )
    if tx.get_function(name) is None:
        raise ResourceNotFoundException(f"Function not found: {name}")
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION_CHARS:
        raise InvalidParameterValueException(
            "Description must be a string of at most 256 characters"
        )
    if not isinstance(version, str) or not (version == "$LATEST" or version.isdigit()):
        raise InvalidParameterValueException(
            f"FunctionVersion must be $LATEST or a version number, got {version!r}"
        )
    _check_weights(version, weights)
    _check_versions_exist(tx, name, [version, *weights])


def _check_weights(version: str, weights: dict[str, float]) -> None:
    """At most one additional version: a number, not ``version``, weighted within [0, 1]."""
    if len(weights) > 1:
        raise InvalidParameterValueException(
            "RoutingConfig supports at most one additional version"
        )
    if weights and version == "$LATEST":
        raise InvalidParameterValueException(
            "$LATEST is not supported for an alias pointing to more than 1 version"
        )
    for extra, weight in weights.items():
        if not extra.isdigit():
            raise InvalidParameterValueException(
                f"Additional version {extra!r} must be a published version number"
            )
        if extra == version:
            raise InvalidParameterValueException(
                "The additional version must differ from FunctionVersion"
            )
        if (
            isinstance(weight, bool)
            or not isinstance(weight, (int, float))
            or not 0.0 <= weight <= 1.0
        ):
            raise InvalidParameterValueException(
                "Routing weights must be numbers between 0.0 and 1.0"
            )


def _check_versions_exist(tx: Transaction, name: str, versions: list[str]) -> None:
    for v in versions:
        if v != "$LATEST" and (len(v) > MAX_VERSION_DIGITS or tx.get_version(name, int(v)) is None):
            raise ResourceNotFoundException(f"Function not found: {name}:{v}")
