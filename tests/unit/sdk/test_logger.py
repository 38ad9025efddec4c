"""Unit tests for durable_lambda.logger (sdk-spec.md §12.3)."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from durable_lambda.logger import Logger, LogInfo

ARN = "arn:aws:lambda:us-east-1:123456789012:function:f:1/durable-execution/e/i"


class RecordingLogger:
    """A non-stdlib LoggerInterface (like Powertools) that records calls."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, object, tuple[object, ...], dict[str, Any]]] = []

    def _record(self, level: str, msg: object, args: tuple[object, ...], extra: Any) -> None:
        self.calls.append((level, msg, args, dict(extra or {})))

    def debug(self, msg: object, *args: object, extra: Mapping[str, object] | None = None) -> None:
        self._record("debug", msg, args, extra)

    def info(self, msg: object, *args: object, extra: Mapping[str, object] | None = None) -> None:
        self._record("info", msg, args, extra)

    def warning(
        self, msg: object, *args: object, extra: Mapping[str, object] | None = None
    ) -> None:
        self._record("warning", msg, args, extra)

    def error(self, msg: object, *args: object, extra: Mapping[str, object] | None = None) -> None:
        self._record("error", msg, args, extra)

    def exception(
        self, msg: object, *args: object, extra: Mapping[str, object] | None = None
    ) -> None:
        self._record("exception", msg, args, extra)


class ListHandler(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def stdlib() -> Iterator[tuple[logging.Logger, ListHandler]]:
    log = logging.getLogger("durable_lambda.tests.logger")
    handler = ListHandler()
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    log.propagate = False
    yield log, handler
    log.removeHandler(handler)


def test_log_info_extras_omit_unset() -> None:
    assert LogInfo(ARN).to_extra() == {"executionArn": ARN}
    full = LogInfo(ARN, parent_id="p", operation_id="o", name="n", attempt=2)
    assert full.to_extra() == {
        "executionArn": ARN,
        "parentId": "p",
        "operationName": "n",
        "attempt": 2,
        "operationId": "o",
    }


def test_records_carry_extras_as_attributes(stdlib: tuple[logging.Logger, ListHandler]) -> None:
    base, handler = stdlib
    info = LogInfo(ARN, parent_id="p", operation_id="o", name="step-a", attempt=1)
    Logger.from_log_info(base, info).info("hello %s", "world")
    (record,) = handler.records
    assert record.getMessage() == "hello world"
    assert record.executionArn == ARN  # type: ignore[attr-defined]
    assert record.parentId == "p"  # type: ignore[attr-defined]
    assert record.operationName == "step-a"  # type: ignore[attr-defined]
    assert record.attempt == 1  # type: ignore[attr-defined]
    assert record.operationId == "o"  # type: ignore[attr-defined]
    assert record.name == "durable_lambda.tests.logger"  # not clobbered by the operation name


def test_stdlib_records_point_at_the_caller(stdlib: tuple[logging.Logger, ListHandler]) -> None:
    base, handler = stdlib
    Logger(base).warning("here")
    assert handler.records[0].filename == "test_logger.py"
    assert handler.records[0].funcName == "test_stdlib_records_point_at_the_caller"


@pytest.mark.parametrize("level", ["debug", "info", "warning", "error", "exception"])
def test_every_level_enriches(level: str) -> None:
    base = RecordingLogger()
    getattr(Logger.from_log_info(base, LogInfo(ARN)), level)("m %d", 1)
    assert base.calls == [(level, "m %d", (1,), {"executionArn": ARN})]


def test_exception_includes_traceback(stdlib: tuple[logging.Logger, ListHandler]) -> None:
    base, handler = stdlib
    try:
        raise ValueError("boom")
    except ValueError:
        Logger(base).exception("failed")
    assert handler.records[0].levelno == logging.ERROR
    assert handler.records[0].exc_info is not None


def test_caller_extra_wins() -> None:
    base = RecordingLogger()
    logger = Logger.from_log_info(base, LogInfo(ARN, attempt=1))
    logger.info("m", extra={"attempt": 9, "orderId": "o-1"})
    assert base.calls[0][3] == {"executionArn": ARN, "attempt": 9, "orderId": "o-1"}


def test_replay_suppression() -> None:
    base = RecordingLogger()
    replaying = True
    logger = Logger.from_log_info(base, LogInfo(ARN), is_replaying=lambda: replaying)
    logger.info("dropped")
    replaying = False
    logger.info("kept")
    assert [call[1] for call in base.calls] == ["kept"]


def test_with_log_info_keeps_base_and_predicate() -> None:
    base = RecordingLogger()
    replaying = [True]
    parent = Logger.from_log_info(base, LogInfo(ARN, parent_id="p"), lambda: replaying[0])
    child = parent.with_log_info(LogInfo(ARN, operation_id="o", attempt=2))
    child.info("muted")
    replaying[0] = False
    child.info("logged")
    assert base.calls == [
        ("info", "logged", (), {"executionArn": ARN, "operationId": "o", "attempt": 2})
    ]


def test_with_replay_predicate_keeps_extras() -> None:
    base = RecordingLogger()
    logger = Logger.from_log_info(base, LogInfo(ARN)).with_replay_predicate(lambda: True)
    logger.info("muted")
    logger.with_replay_predicate(None).info("logged")
    assert base.calls == [("info", "logged", (), {"executionArn": ARN})]


def test_set_logger_replaces_base_keeping_enrichment_and_muting() -> None:
    first, second = RecordingLogger(), RecordingLogger()
    replaying = [False]
    logger = Logger.from_log_info(first, LogInfo(ARN), lambda: replaying[0])
    logger.set_logger(second)
    logger.info("to second")
    replaying[0] = True
    logger.info("muted")
    assert first.calls == []
    assert second.calls == [("info", "to second", (), {"executionArn": ARN})]
    assert logger.base_logger is second


def test_default_base_is_root_logger() -> None:
    assert Logger().base_logger is logging.getLogger()
    assert Logger.from_log_info(None, LogInfo(ARN)).base_logger is logging.getLogger()


def test_default_extra_constructor() -> None:
    base = RecordingLogger()
    Logger(base, {"k": "v"}).debug("m")
    assert base.calls == [("debug", "m", (), {"k": "v"})]
    assert Logger(base, {"k": "v"}).default_extra == {"k": "v"}
