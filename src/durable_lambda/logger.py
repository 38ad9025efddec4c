"""The replay-aware logger of ``context.logger``, name for name with AWS SDK 3.0.0 (§12.3).

Owns ``LogInfo`` (which operation a record belongs to) and ``Logger``, a thin wrapper over any
``LoggerInterface`` (the root stdlib logger by default, Powertools after ``set_logger``) that

- enriches every record with ``executionArn``, ``parentId``, ``operationName``, ``attempt`` and
  ``operationId`` (only those that are set; the caller's ``extra`` wins on conflicts), passed as
  ``extra=`` so stdlib ``LogRecord``s carry them as attributes (the runtime captures records by
  their ``executionArn``); and
- drops every call while its replay predicate says the owning context is replaying, so a line is
  logged once per execution rather than once per invocation.

``operationName`` rather than ``name`` because ``name`` is a reserved ``LogRecord`` attribute
(seed patch 30). Loggers are cheap immutable-ish views: ``with_log_info`` and
``with_replay_predicate`` return new loggers sharing the base; only ``set_logger`` mutates.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from durable_lambda.types import LoggerInterface

__all__ = ["LogInfo", "Logger"]

ReplayPredicate = Callable[[], bool]

# Skips Logger._log and the public method so stdlib records point at the user's call site.
_STDLIB_STACKLEVEL = 3


@dataclass(frozen=True)
class LogInfo:
    """What a log record is about: the execution and, inside operations, the operation."""

    execution_arn: str
    parent_id: str | None = None
    operation_id: str | None = None
    name: str | None = None
    attempt: int | None = None

    def to_extra(self) -> dict[str, Any]:
        """The enrichment keys of §12.3, omitting unset ones."""
        pairs = {
            "executionArn": self.execution_arn,
            "parentId": self.parent_id,
            "operationName": self.name,
            "attempt": self.attempt,
            "operationId": self.operation_id,
        }
        return {key: value for key, value in pairs.items() if value is not None}


class Logger:
    """A ``LoggerInterface`` that enriches records and stays silent during replay."""

    def __init__(
        self,
        logger: LoggerInterface | None = None,
        default_extra: Mapping[str, Any] | None = None,
        is_replaying: ReplayPredicate | None = None,
    ) -> None:
        """Wraps ``logger`` (default: the root logger ``logging.getLogger()``)."""
        self._logger: LoggerInterface = logger if logger is not None else logging.getLogger()
        self._default_extra: dict[str, Any] = dict(default_extra or {})
        self._is_replaying = is_replaying

    @classmethod
    def from_log_info(
        cls,
        logger: LoggerInterface | None,
        info: LogInfo,
        is_replaying: ReplayPredicate | None = None,
    ) -> Logger:
        """A logger enriched with ``info``."""
        return cls(logger, info.to_extra(), is_replaying)

    def with_log_info(self, info: LogInfo) -> Logger:
        """Same base logger and replay predicate, extras replaced by ``info``'s."""
        return Logger(self._logger, info.to_extra(), self._is_replaying)

    def with_replay_predicate(self, is_replaying: ReplayPredicate | None) -> Logger:
        """Same base logger and extras, muted according to ``is_replaying``."""
        return Logger(self._logger, self._default_extra, is_replaying)

    def set_logger(self, new_logger: LoggerInterface) -> None:
        """Replaces the base logger in place, keeping enrichment and replay suppression."""
        self._logger = new_logger

    @property
    def base_logger(self) -> LoggerInterface:
        """The wrapped logger."""
        return self._logger

    @property
    def default_extra(self) -> Mapping[str, Any]:
        """The enrichment added to every record."""
        return dict(self._default_extra)

    def debug(self, msg: object, *args: object, extra: Mapping[str, object] | None = None) -> None:
        """Logs at DEBUG unless replaying."""
        self._log("debug", msg, args, extra)

    def info(self, msg: object, *args: object, extra: Mapping[str, object] | None = None) -> None:
        """Logs at INFO unless replaying."""
        self._log("info", msg, args, extra)

    def warning(
        self, msg: object, *args: object, extra: Mapping[str, object] | None = None
    ) -> None:
        """Logs at WARNING unless replaying."""
        self._log("warning", msg, args, extra)

    def error(self, msg: object, *args: object, extra: Mapping[str, object] | None = None) -> None:
        """Logs at ERROR unless replaying."""
        self._log("error", msg, args, extra)

    def exception(
        self, msg: object, *args: object, extra: Mapping[str, object] | None = None
    ) -> None:
        """Logs at ERROR with the current exception unless replaying."""
        self._log("exception", msg, args, extra)

    def _log(
        self,
        level: str,
        msg: object,
        args: tuple[object, ...],
        extra: Mapping[str, object] | None,
    ) -> None:
        if self._is_replaying is not None and self._is_replaying():
            return
        merged = {**self._default_extra, **(extra or {})}
        method = getattr(self._logger, level)
        if isinstance(self._logger, logging.Logger):
            method(msg, *args, extra=merged, stacklevel=_STDLIB_STACKLEVEL)
        else:
            method(msg, *args, extra=merged)
