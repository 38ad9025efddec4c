"""Unit tests for durable_lambda.config (sdk-spec.md §5)."""

from __future__ import annotations

import dataclasses

import pytest

from durable_lambda.config import (
    BatchItemStatus,
    CallbackConfig,
    ChildConfig,
    CompletionConfig,
    CompletionDecision,
    CompletionItemStatus,
    CompletionOutcome,
    CompletionStatus,
    Duration,
    InvokeConfig,
    JitterStrategy,
    MapConfig,
    NestingType,
    ParallelBranch,
    ParallelConfig,
    StepConfig,
    StepSemantics,
    WaitForCallbackConfig,
    complete_batch,
    continue_batch,
)
from durable_lambda.exceptions import ValidationError

# ---------------------------------------------------------------------------------- Duration


@pytest.mark.parametrize(
    ("duration", "seconds"),
    [
        (Duration(), 0),
        (Duration(7), 7),
        (Duration.from_seconds(2.9), 2),
        (Duration.from_minutes(1.5), 90),
        (Duration.from_hours(2), 7200),
        (Duration.from_days(1), 86400),
        (Duration.from_days(0.5), 43200),
    ],
    ids=["default", "ctor", "seconds-trunc", "minutes", "hours", "days", "half-day"],
)
def test_duration_to_seconds(duration: Duration, seconds: int) -> None:
    assert duration.to_seconds() == seconds


def test_duration_negative_rejected() -> None:
    with pytest.raises(ValidationError, match="Duration seconds must be positive"):
        Duration(-1)
    with pytest.raises(ValidationError):
        Duration.from_minutes(-1)


def test_duration_is_frozen_and_comparable() -> None:
    assert Duration.from_seconds(60) == Duration.from_minutes(1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        Duration(1).seconds = 2  # type: ignore[misc]


# ---------------------------------------------------------------------------------- jitter


def test_jitter_none_keeps_delay() -> None:
    assert JitterStrategy.NONE.apply_jitter(10) == 10
    assert JitterStrategy.NONE.finalize_delay(2) == 2


def test_jitter_full_and_half_use_random_source() -> None:
    assert JitterStrategy.FULL.apply_jitter(10, rng=lambda: 0.25) == 2.5
    assert JitterStrategy.HALF.apply_jitter(10, rng=lambda: 0.5) == 7.5


@pytest.mark.parametrize("strategy", list(JitterStrategy))
def test_finalize_delay_bounds(strategy: JitterStrategy) -> None:
    for _ in range(200):
        delay = strategy.finalize_delay(8)
        assert 1 <= delay <= 8
        if strategy is JitterStrategy.HALF:
            assert delay >= 4


def test_finalize_delay_is_at_least_one_and_ceiled() -> None:
    assert JitterStrategy.FULL.finalize_delay(5, rng=lambda: 0.0) == 1
    assert JitterStrategy.FULL.finalize_delay(5, rng=lambda: 0.21) == 2  # ceil(1.05)
    assert JitterStrategy.NONE.finalize_delay(0.2) == 1


def test_jitter_values_are_wire_strings() -> None:
    assert [s.value for s in JitterStrategy] == ["NONE", "FULL", "HALF"]


# ---------------------------------------------------------------------------------- sub_type


@pytest.mark.parametrize("sub_type", [None, "", "a", "My-Sub_type1", "x" * 32])
def test_sub_type_accepted(sub_type: str | None) -> None:
    assert StepConfig(sub_type=sub_type).sub_type == sub_type
    assert ChildConfig(sub_type=sub_type).sub_type == sub_type
    assert CallbackConfig(sub_type=sub_type).sub_type == sub_type


@pytest.mark.parametrize("sub_type", ["x" * 33, "has space", "dot.ted", "émoji", "a/b"])
def test_sub_type_rejected(sub_type: str) -> None:
    for build in (StepConfig, ChildConfig, CallbackConfig, WaitForCallbackConfig):
        with pytest.raises(ValidationError, match="sub_type"):
            build(sub_type=sub_type)


# ---------------------------------------------------------------------------------- configs


def test_step_config_defaults() -> None:
    config = StepConfig()
    assert config.retry_strategy is None
    assert config.step_semantics is StepSemantics.AT_LEAST_ONCE_PER_RETRY
    assert config.serdes is None
    assert config.sub_type is None


def test_step_config_sub_type_is_keyword_only() -> None:
    with pytest.raises(TypeError):
        StepConfig(None, StepSemantics.AT_MOST_ONCE_PER_RETRY, None, "x")  # type: ignore[misc]


def test_callback_config_seconds_properties() -> None:
    config = CallbackConfig(timeout=Duration.from_minutes(2), heartbeat_timeout=Duration(30))
    assert (config.timeout_seconds, config.heartbeat_timeout_seconds) == (120, 30)
    assert (CallbackConfig().timeout_seconds, CallbackConfig().heartbeat_timeout_seconds) == (0, 0)


def test_wait_for_callback_config_extends_callback_config() -> None:
    def strategy(error: Exception, attempt: int) -> object:
        return None

    config = WaitForCallbackConfig(timeout=Duration(5), retry_strategy=strategy)  # type: ignore[arg-type]
    assert isinstance(config, CallbackConfig)
    assert config.timeout_seconds == 5
    assert config.retry_strategy is strategy
    assert WaitForCallbackConfig().retry_strategy is None


def test_child_and_invoke_config_defaults() -> None:
    child: ChildConfig[int] = ChildConfig()
    assert (child.serdes, child.sub_type, child.summary_generator, child.is_virtual) == (
        None,
        None,
        None,
        False,
    )
    invoke: InvokeConfig[int, int] = InvokeConfig(tenant_id="t")
    assert (invoke.serdes_payload, invoke.serdes_result, invoke.tenant_id) == (None, None, "t")


def test_map_config_defaults_to_fail_fast_completion() -> None:
    config: MapConfig[int] = MapConfig()
    assert config.completion_config == CompletionConfig()
    assert config.nesting_type is NestingType.NESTED
    assert config.max_concurrency is None
    assert config.item_namer is None


def test_parallel_config_defaults_to_all_successful() -> None:
    assert ParallelConfig().completion_config == CompletionConfig.all_successful()
    assert ParallelConfig().nesting_type is NestingType.NESTED


def test_parallel_branch_delegates_call() -> None:
    branch = ParallelBranch(lambda ctx: f"ran {ctx}", name="b")
    assert branch("ctx") == "ran ctx"
    assert branch.name == "b"
    assert ParallelBranch(lambda ctx: 1).name is None


# ---------------------------------------------------------------------------------- completion


def test_completion_presets() -> None:
    assert CompletionConfig.first_successful() == CompletionConfig(min_successful=1)
    assert CompletionConfig.all_successful() == CompletionConfig(
        tolerated_failure_count=0, tolerated_failure_percentage=0
    )
    assert CompletionConfig.all_completed() == CompletionConfig(tolerated_failure_percentage=100)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"min_successful": 0},
        {"tolerated_failure_count": -1},
        {"tolerated_failure_percentage": -0.1},
        {"tolerated_failure_percentage": 100.5},
        {"min_successful": "2"},
    ],
    ids=["min-0", "count-neg", "pct-neg", "pct-over", "min-str"],
)
def test_completion_config_rejects_bad_thresholds(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        CompletionConfig(**kwargs)  # type: ignore[arg-type]


def test_should_complete_cannot_combine_with_thresholds() -> None:
    with pytest.raises(ValidationError, match="cannot be combined"):
        CompletionConfig(min_successful=1, should_complete=lambda status: continue_batch())


def test_should_complete_must_be_callable() -> None:
    with pytest.raises(ValidationError, match="callable"):
        CompletionConfig(should_complete="nope")  # type: ignore[arg-type]


def test_validate_for_total() -> None:
    CompletionConfig(min_successful=3)._validate_for_total(3)
    CompletionConfig()._validate_for_total(0)
    with pytest.raises(ValidationError, match="min_successful"):
        CompletionConfig(min_successful=4)._validate_for_total(3)


def test_decision_builders() -> None:
    assert continue_batch() == CompletionDecision(complete=False, outcome=None)
    assert complete_batch() == CompletionDecision(True, CompletionOutcome.SUCCEEDED)
    assert complete_batch(CompletionOutcome.FAILED).outcome is CompletionOutcome.FAILED


def test_completion_status_shapes() -> None:
    item = CompletionItemStatus(index=0)
    assert (item.name, item.status) == (None, None)
    status = CompletionStatus(
        1, 0, 1, 2, (CompletionItemStatus(0, "a", BatchItemStatus.SUCCEEDED),)
    )
    assert status.items[0].status is BatchItemStatus.SUCCEEDED
    assert [s.value for s in BatchItemStatus] == ["SUCCEEDED", "FAILED", "STARTED"]
