"""Unit tests for durable_lambda.types."""

from __future__ import annotations

import dataclasses
import logging

import pytest

from durable_lambda.logger import Logger
from durable_lambda.types import (
    DurableExecutionArn,
    LoggerInterface,
    OperationContext,
    StepContext,
    WaitForCallbackContext,
    WaitForConditionCheckContext,
)

ARN = (
    "arn:aws:lambda:us-east-1:123456789012:function:orders:1/durable-execution/"
    "order-1/6f1c2d3e-0000-4000-8000-000000000001"
)


def test_arn_parsing() -> None:
    parsed = DurableExecutionArn.from_arn(ARN)
    assert parsed == DurableExecutionArn(
        partition="aws",
        region="us-east-1",
        account_id="123456789012",
        function_name="orders",
        version="1",
        execution_name="order-1",
        invocation_id="6f1c2d3e-0000-4000-8000-000000000001",
    )
    assert str(parsed) == ARN


def test_arn_parsing_latest_and_other_partition() -> None:
    parsed = DurableExecutionArn.from_arn(
        "arn:aws-cn:lambda:cn-north-1:000000000000:function:fn_x:$LATEST/durable-execution/e/i"
    )
    assert (parsed.partition, parsed.version, parsed.function_name) == ("aws-cn", "$LATEST", "fn_x")
    assert (parsed.execution_name, parsed.invocation_id) == ("e", "i")


@pytest.mark.parametrize(
    "arn",
    [
        "",
        "arn:aws:lambda:us-east-1:123456789012:function:orders",
        "arn:aws:lambda:us-east-1:123456789012:function:orders/durable-execution/e/i",
        "arn:aws:lambda:us-east-1:123456789012:function:orders:1/durable-execution/e",
        "arn:aws:lambda:us-east-1:123456789012:function:orders:1/durable-execution/e/i/extra",
        "arn:aws:s3:us-east-1:123456789012:function:orders:1/durable-execution/e/i",
    ],
)
def test_arn_parsing_rejects_other_shapes(arn: str) -> None:
    with pytest.raises(ValueError, match="Invalid durable execution ARN"):
        DurableExecutionArn.from_arn(arn)


def test_operation_contexts() -> None:
    log = logging.getLogger("x")
    assert StepContext(logger=log).attempt == 1
    assert StepContext(log, 3).attempt == 3
    assert WaitForConditionCheckContext(logger=log, attempt=2).attempt == 2
    assert WaitForCallbackContext(logger=log).logger is log
    assert isinstance(StepContext(logger=log), OperationContext)
    with pytest.raises(dataclasses.FrozenInstanceError):
        StepContext(logger=log).attempt = 2  # type: ignore[misc]


def test_logger_interface_is_structural() -> None:
    assert isinstance(logging.getLogger("x"), LoggerInterface)
    assert isinstance(Logger(), LoggerInterface)
    assert not isinstance(object(), LoggerInterface)
