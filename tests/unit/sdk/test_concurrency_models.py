"""Unit tests for durable_lambda.concurrency.models (sdk-spec.md §7, §15.4)."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from durable_lambda.concurrency.models import (
    BatchCompletionError,
    BatchItem,
    BatchResult,
    CompletionPolicy,
    CompletionReason,
)
from durable_lambda.config import (
    BatchItemStatus,
    CompletionConfig,
    CompletionItemStatus,
    CompletionOutcome,
    CompletionStatus,
    complete_batch,
    continue_batch,
)
from durable_lambda.exceptions import (
    ChildContextError,
    DurableOperationError,
    StepError,
    ValidationError,
)
from durable_lambda.lambda_service import ErrorObject

S, F, ST = BatchItemStatus.SUCCEEDED, BatchItemStatus.FAILED, BatchItemStatus.STARTED
ERR = ErrorObject("bad input", "ValueError", "data", ["line 1"])


def batch(
    *statuses: BatchItemStatus, reason: CompletionReason = CompletionReason.ALL_COMPLETED
) -> BatchResult[Any]:
    items = [
        BatchItem(i, s, result=f"r{i}" if s is S else None, error=ERR if s is F else None)
        for i, s in enumerate(statuses)
    ]
    return BatchResult(items, reason)


# ---------------------------------------------------------------------------------- BatchResult


def test_accessors() -> None:
    result = batch(S, F, ST, S)
    assert [i.index for i in result.succeeded()] == [0, 3]
    assert [i.index for i in result.failed()] == [1]
    assert [i.index for i in result.started()] == [2]
    assert result.get_results() == ["r0", "r3"]
    assert result.get_errors() == [ERR]
    assert (result.success_count, result.failure_count, result.started_count) == (2, 1, 1)
    assert result.total_count == 4
    assert result.has_failure


def test_none_results_and_errorless_failures_are_kept() -> None:
    result: BatchResult[Any] = BatchResult(
        [BatchItem(0, S, None), BatchItem(1, F, error=None)], CompletionReason.ALL_COMPLETED
    )
    assert result.get_results() == [None]
    assert result.get_errors() == [None]
    assert len(result.succeeded()) == 1


@pytest.mark.parametrize(
    ("statuses", "reason", "expected"),
    [
        ((S, S), CompletionReason.ALL_COMPLETED, S),
        ((S, F), CompletionReason.ALL_COMPLETED, F),
        ((S, F), CompletionReason.CUSTOM_COMPLETION_SUCCEEDED, S),
        ((S, S), CompletionReason.CUSTOM_COMPLETION_FAILED, F),
        ((), CompletionReason.ALL_COMPLETED, S),
        ((S, ST), CompletionReason.MIN_SUCCESSFUL_REACHED, S),
    ],
    ids=["all-ok", "one-failed", "custom-ok-wins", "custom-failed-wins", "empty", "started"],
)
def test_status(
    statuses: tuple[BatchItemStatus, ...], reason: CompletionReason, expected: BatchItemStatus
) -> None:
    assert batch(*statuses, reason=reason).status is expected


def test_throw_if_error_raises_first_failure_rebuilt() -> None:
    result: BatchResult[Any] = BatchResult(
        [
            BatchItem(0, S, "ok"),
            BatchItem(
                1,
                F,
                error=ErrorObject("first", "aws_durable_execution_sdk_python.exceptions.StepError"),
            ),
            BatchItem(2, F, error=ErrorObject("second", "KeyError")),
        ],
        CompletionReason.ALL_COMPLETED,
    )
    with pytest.raises(ChildContextError) as info:
        result.throw_if_error()
    assert info.value.message == "first"
    assert info.value.error_type == "aws_durable_execution_sdk_python.exceptions.StepError"
    assert type(info.value.__cause__) is StepError


def test_throw_if_error_unknown_type_cause_is_base_error() -> None:
    with pytest.raises(ChildContextError) as info:
        batch(F).throw_if_error()
    assert (info.value.message, info.value.error_type, info.value.data) == (
        "bad input",
        "ValueError",
        "data",
    )
    assert type(info.value.__cause__) is DurableOperationError


def test_throw_if_error_without_error_object() -> None:
    result: BatchResult[Any] = BatchResult(
        [BatchItem(0, S), BatchItem(1, F)], CompletionReason.ALL_COMPLETED
    )
    with pytest.raises(ChildContextError, match=r"^Batch item 1 failed without an ErrorObject\.$"):
        result.throw_if_error()


def test_throw_if_error_custom_failed() -> None:
    with pytest.raises(BatchCompletionError) as info:
        batch(S, reason=CompletionReason.CUSTOM_COMPLETION_FAILED).throw_if_error()
    assert info.value.completion_reason is CompletionReason.CUSTOM_COMPLETION_FAILED
    assert str(info.value) == (
        "Batch completed as failed by should_complete (CUSTOM_COMPLETION_FAILED)"
    )


def test_throw_if_error_passes_when_clean() -> None:
    batch(S, ST, reason=CompletionReason.MIN_SUCCESSFUL_REACHED).throw_if_error()
    batch(reason=CompletionReason.CUSTOM_COMPLETION_SUCCEEDED).throw_if_error()


def test_to_dict_shape() -> None:
    assert batch(S, F).to_dict() == {
        "all": [
            {"index": 0, "status": "SUCCEEDED", "result": "r0", "error": None},
            {
                "index": 1,
                "status": "FAILED",
                "result": None,
                "error": {
                    "ErrorMessage": "bad input",
                    "ErrorType": "ValueError",
                    "ErrorData": "data",
                    "StackTrace": ["line 1"],
                },
            },
        ],
        "completionReason": "ALL_COMPLETED",
    }


def test_dict_round_trip() -> None:
    original = batch(S, F, ST, reason=CompletionReason.FAILURE_TOLERANCE_EXCEEDED)
    assert BatchResult.from_dict(original.to_dict()) == original


def test_from_dict_infers_missing_reason(caplog: pytest.LogCaptureFixture) -> None:
    data = batch(S, F).to_dict()
    del data["completionReason"]
    with caplog.at_level(logging.WARNING):
        result = BatchResult.from_dict(data)
    assert result.completion_reason is CompletionReason.FAILURE_TOLERANCE_EXCEEDED  # fail-fast
    assert "completionReason" in caplog.text
    tolerant = BatchResult.from_dict(data, CompletionConfig.all_completed())
    assert tolerant.completion_reason is CompletionReason.ALL_COMPLETED


def test_from_items_sorts_and_infers() -> None:
    items = [BatchItem(1, S, "b"), BatchItem(0, S, "a")]
    result = BatchResult.from_items(items, CompletionConfig.first_successful())
    assert result.get_results() == ["a", "b"]
    assert result.completion_reason is CompletionReason.ALL_COMPLETED
    partial: BatchResult[Any] = BatchResult.from_items(
        [BatchItem(0, S), BatchItem(1, ST)], CompletionConfig(min_successful=1)
    )
    assert partial.completion_reason is CompletionReason.MIN_SUCCESSFUL_REACHED
    undecided: BatchResult[Any] = BatchResult.from_items([BatchItem(0, ST)])
    assert undecided.completion_reason is CompletionReason.ALL_COMPLETED


def test_batch_item_dict_round_trip() -> None:
    item: BatchItem[Any] = BatchItem(3, F, error=ERR)
    assert BatchItem.from_dict(item.to_dict()) == item


def test_completion_reason_values() -> None:
    assert [r.value for r in CompletionReason] == [
        "ALL_COMPLETED",
        "MIN_SUCCESSFUL_REACHED",
        "FAILURE_TOLERANCE_EXCEEDED",
        "CUSTOM_COMPLETION_SUCCEEDED",
        "CUSTOM_COMPLETION_FAILED",
    ]


# ---------------------------------------------------------------------------------- errors


def test_batch_completion_error_is_registered_for_reconstruction() -> None:
    error = BatchCompletionError()
    assert isinstance(error, DurableOperationError)
    wire = error.to_error_object()
    assert wire.type == "aws_durable_execution_sdk_python.concurrency.models.BatchCompletionError"
    rebuilt = DurableOperationError.reconstruct(wire)
    assert type(rebuilt) is BatchCompletionError
    assert rebuilt.message == error.message
    assert rebuilt.completion_reason is CompletionReason.CUSTOM_COMPLETION_FAILED
    wrapped = ChildContextError.from_error_object(wire)
    assert type(wrapped.__cause__) is BatchCompletionError


def test_batch_completion_error_custom_message() -> None:
    error = BatchCompletionError(CompletionReason.CUSTOM_COMPLETION_FAILED, "nope", data="d")
    assert (error.message, error.data) == ("nope", "d")


# ---------------------------------------------------------------------------------- policy


def policy(total: int, **kwargs: Any) -> CompletionPolicy:
    return CompletionPolicy.from_config(CompletionConfig(**kwargs), total)


@pytest.mark.parametrize(
    ("config", "total", "succeeded", "failed", "expected"),
    [
        # fail-fast default
        (CompletionConfig(), 3, 1, 0, None),
        (CompletionConfig(), 3, 1, 1, CompletionReason.FAILURE_TOLERANCE_EXCEEDED),
        (CompletionConfig(), 3, 3, 0, CompletionReason.ALL_COMPLETED),
        # all_successful
        (CompletionConfig.all_successful(), 3, 0, 1, CompletionReason.FAILURE_TOLERANCE_EXCEEDED),
        (CompletionConfig.all_successful(), 2, 2, 0, CompletionReason.ALL_COMPLETED),
        # first_successful: failures never exceed tolerance
        (CompletionConfig.first_successful(), 3, 0, 2, None),
        (CompletionConfig.first_successful(), 3, 1, 2, CompletionReason.ALL_COMPLETED),
        (CompletionConfig.first_successful(), 3, 1, 0, CompletionReason.MIN_SUCCESSFUL_REACHED),
        (CompletionConfig.first_successful(), 2, 0, 2, CompletionReason.ALL_COMPLETED),
        # all_completed: 100 % tolerance
        (CompletionConfig.all_completed(), 3, 0, 2, None),
        (CompletionConfig.all_completed(), 3, 0, 3, CompletionReason.ALL_COMPLETED),
        # tolerated count
        (CompletionConfig(tolerated_failure_count=1), 4, 0, 1, None),
        (
            CompletionConfig(tolerated_failure_count=1),
            4,
            0,
            2,
            CompletionReason.FAILURE_TOLERANCE_EXCEEDED,
        ),
        # percentage: exactly equal does not exceed
        (CompletionConfig(tolerated_failure_percentage=25), 4, 0, 1, None),
        (
            CompletionConfig(tolerated_failure_percentage=25),
            4,
            0,
            2,
            CompletionReason.FAILURE_TOLERANCE_EXCEEDED,
        ),
        (
            CompletionConfig(tolerated_failure_percentage=50),
            4,
            2,
            2,
            CompletionReason.ALL_COMPLETED,
        ),
        # min_successful alone disables fail-fast
        (CompletionConfig(min_successful=2), 4, 1, 2, None),
        (CompletionConfig(min_successful=2), 4, 2, 1, CompletionReason.MIN_SUCCESSFUL_REACHED),
        # tolerance exceeded wins over all-done
        (
            CompletionConfig(tolerated_failure_count=0),
            2,
            1,
            1,
            CompletionReason.FAILURE_TOLERANCE_EXCEEDED,
        ),
        # all done wins over min reached
        (CompletionConfig(min_successful=1), 2, 2, 0, CompletionReason.ALL_COMPLETED),
        # empty batch
        (CompletionConfig(), 0, 0, 0, CompletionReason.ALL_COMPLETED),
    ],
)
def test_policy_decisions(
    config: CompletionConfig,
    total: int,
    succeeded: int,
    failed: int,
    expected: CompletionReason | None,
) -> None:
    assert CompletionPolicy(config, total).evaluate(succeeded, failed) is expected


def test_policy_from_none_is_fail_fast() -> None:
    assert CompletionPolicy.from_config(None, 2).is_tolerance_exceeded(1)


def test_policy_tolerance_helpers() -> None:
    assert not policy(4, tolerated_failure_percentage=25).is_tolerance_exceeded(1)
    assert policy(4, tolerated_failure_percentage=25).is_tolerance_exceeded(2)
    assert policy(4, min_successful=2).is_min_successful_reached(2)
    assert not policy(4).is_min_successful_reached(4)


def test_predicate_sees_progress_and_items() -> None:
    seen: list[CompletionStatus] = []

    def predicate(status: CompletionStatus) -> Any:
        seen.append(status)
        return continue_batch()

    items = [
        CompletionItemStatus(0, "a", S),
        CompletionItemStatus(1, "b", ST),
        CompletionItemStatus(2),
    ]
    reason = CompletionPolicy(CompletionConfig(should_complete=predicate), 3).evaluate(1, 0, items)
    assert reason is None
    assert seen == [CompletionStatus(1, 0, 1, 3, tuple(items))]


@pytest.mark.parametrize(
    ("decision", "expected"),
    [
        (complete_batch(), CompletionReason.CUSTOM_COMPLETION_SUCCEEDED),
        (complete_batch(CompletionOutcome.FAILED), CompletionReason.CUSTOM_COMPLETION_FAILED),
        (continue_batch(), None),
    ],
    ids=["complete-ok", "complete-failed", "continue"],
)
def test_predicate_decisions(decision: Any, expected: CompletionReason | None) -> None:
    config = CompletionConfig(should_complete=lambda status: decision)
    assert CompletionPolicy(config, 3).evaluate(0, 2) is expected


def test_predicate_disables_tolerance_and_all_done_still_completes() -> None:
    config = CompletionConfig(should_complete=lambda status: continue_batch())
    assert not CompletionPolicy(config, 2).is_tolerance_exceeded(2)
    assert CompletionPolicy(config, 2).evaluate(0, 2) is CompletionReason.ALL_COMPLETED


def test_predicate_must_return_a_decision() -> None:
    config = CompletionConfig(should_complete=lambda status: True)  # type: ignore[arg-type,return-value]
    with pytest.raises(ValidationError, match="CompletionDecision"):
        CompletionPolicy(config, 2).evaluate(0, 0)
