"""Execution-correlated log capture."""

from __future__ import annotations

import logging
from pathlib import Path

from durable_lambda_server.runtime.logs import ExecutionLogSink, function_name_from_arn, read_logs

ARN = "arn:aws:lambda:us-east-1:000000000000:function:orders:$LATEST/durable-execution/n/abc"


def test_function_name_from_arn() -> None:
    assert function_name_from_arn(ARN) == "orders"
    assert function_name_from_arn("not an arn") is None


def test_sink_writes_only_correlated_records(tmp_path: Path) -> None:
    logger = logging.getLogger("test_sink_writes_only_correlated_records")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    sink = ExecutionLogSink(tmp_path)
    logger.addHandler(sink)
    try:
        logger.info("hello %s", "world", extra={"executionArn": ARN, "operationId": "op1"})
        logger.info("uncorrelated")
    finally:
        logger.removeHandler(sink)
    records = read_logs(tmp_path, "orders")
    assert len(records) == 1
    assert records[0]["message"] == "hello world"
    assert records[0]["durableExecutionArn"] == ARN
    assert records[0]["operationId"] == "op1"
    assert records[0]["level"] == "INFO"
    assert isinstance(records[0]["timestamp"], int)
    assert read_logs(tmp_path, "orders", execution_arn="other") == []
    assert read_logs(tmp_path, "nobody") == []
