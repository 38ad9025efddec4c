"""Paging input of the read APIs, bounded: markers and time filters from untrusted requests."""

from __future__ import annotations

from durable_lambda_server.wire.errors import InvalidParameterValueException

__all__ = ["MAX_PAGE", "clamp_ms", "parse_marker"]

MAX_PAGE = 2**31  # bound on markers and page sizes: beyond anything stored, within SQLite's range


def parse_marker(marker: str | None) -> int:
    """The position a page ``Marker`` names (0 without one); 400 if it is not one we issued."""
    if not marker:
        return 0
    try:
        value = int(marker)
    except (TypeError, ValueError):
        raise InvalidParameterValueException("Invalid Marker") from None
    if not 0 <= value < MAX_PAGE:
        raise InvalidParameterValueException("Invalid Marker")
    return value


def clamp_ms(value: int | None) -> int | None:
    """A time filter within what the store can compare (SQLite integers are 64-bit)."""
    return None if value is None else max(-(2**62), min(value, 2**62))
