"""Unit tests for durable_lambda.retries (sdk-spec.md §6, §4.11)."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from durable_lambda.config import ChildConfig, Duration, JitterStrategy
from durable_lambda.exceptions import (
    NonDeterministicExecutionError,
    RetryableSerDesError,
    SuspendExecution,
)
from durable_lambda.retries import (
    LinearRetryStrategyConfig,
    RetryDecision,
    RetryPresets,
    RetryStrategyConfig,
    WithRetryConfig,
    create_linear_retry_strategy,
    create_retry_strategy,
    with_retry,
)


def delays(strategy: Callable[[Exception, int], RetryDecision], attempts: int) -> list[int | None]:
    """The delay per failed attempt 1..attempts, None where the strategy gives up."""
    out: list[int | None] = []
    for n in range(1, attempts + 1):
        decision = strategy(ValueError("boom"), n)
        out.append(decision.delay_seconds if decision.should_retry else None)
    return out


def test_retry_decision_builders() -> None:
    assert RetryDecision.retry(Duration(3)) == RetryDecision(True, Duration(3))
    assert RetryDecision.retry(Duration(3)).delay_seconds == 3
    assert RetryDecision.no_retry() == RetryDecision(should_retry=False, delay=Duration(0))


def test_exponential_no_jitter_exact_delays() -> None:
    strategy = create_retry_strategy(
        RetryStrategyConfig(
            initial_delay=Duration(2), backoff_rate=3, jitter_strategy=JitterStrategy.NONE
        )
    )
    # max_attempts=3 counts total attempts: retries after attempts 1 and 2 only.
    assert delays(strategy, 3) == [2, 6, None]


def test_exponential_is_capped_by_max_delay() -> None:
    strategy = create_retry_strategy(
        RetryStrategyConfig(
            max_attempts=10,
            initial_delay=Duration(5),
            max_delay=Duration(30),
            jitter_strategy=JitterStrategy.NONE,
        )
    )
    assert delays(strategy, 6) == [5, 10, 20, 30, 30, 30]


def test_default_config_values() -> None:
    config = RetryStrategyConfig()
    assert (config.max_attempts, config.initial_delay, config.max_delay) == (
        3,
        Duration(5),
        Duration(300),
    )
    assert (config.backoff_rate, config.jitter_strategy) == (2.0, JitterStrategy.FULL)
    assert (config.retryable_errors, config.retryable_error_types) == (None, None)
    linear = LinearRetryStrategyConfig()
    assert (linear.max_attempts, linear.initial_delay, linear.increment, linear.max_delay) == (
        6,
        Duration(1),
        Duration(1),
        Duration(300),
    )


def test_full_jitter_stays_within_base() -> None:
    strategy = create_retry_strategy(RetryStrategyConfig(max_attempts=100))
    for attempt, cap in [(1, 5), (2, 10), (3, 20)]:
        for _ in range(50):
            decision = strategy(ValueError(), attempt)
            assert decision.should_retry
            assert 1 <= decision.delay_seconds <= cap


def test_linear_strategy() -> None:
    strategy = create_linear_retry_strategy(
        LinearRetryStrategyConfig(
            max_attempts=5,
            initial_delay=Duration(2),
            increment=Duration(3),
            max_delay=Duration(9),
            jitter_strategy=JitterStrategy.NONE,
        )
    )
    assert delays(strategy, 5) == [2, 5, 8, 9, None]


# ---------------------------------------------------------------------------------- filters


class TransientError(Exception):
    pass


@pytest.mark.parametrize(
    ("patterns", "types", "error", "retried"),
    [
        (None, None, ValueError("anything"), True),
        (["timeout"], None, ValueError("read timeout here"), True),
        (["timeout"], None, ValueError("refused"), False),
        ([re.compile(r"^5\d\d")], None, ValueError("503 unavailable"), True),
        ([re.compile(r"^5\d\d")], None, ValueError("got 503"), False),
        (None, [TransientError], TransientError("x"), True),
        (None, [TransientError], ValueError("x"), False),
        (["nope"], [TransientError], TransientError("x"), True),
        (["boom"], [TransientError], ValueError("boom"), True),
        ([], None, ValueError("x"), False),
        (None, [], ValueError("x"), False),
    ],
    ids=[
        "match-all",
        "substring-hit",
        "substring-miss",
        "regex-search-hit",
        "regex-anchored-miss",
        "type-hit",
        "only-types-disables-match-all",
        "type-or-message",
        "message-or-type",
        "empty-patterns",
        "empty-types",
    ],
)
def test_error_filters(
    patterns: list[Any] | None, types: list[type[Exception]] | None, error: Exception, retried: bool
) -> None:
    strategy = create_retry_strategy(
        RetryStrategyConfig(retryable_errors=patterns, retryable_error_types=types)
    )
    assert strategy(error, 1).should_retry is retried
    linear = create_linear_retry_strategy(
        LinearRetryStrategyConfig(retryable_errors=patterns, retryable_error_types=types)
    )
    assert linear(error, 1).should_retry is retried


def test_only_patterns_disables_match_all() -> None:
    strategy = create_retry_strategy(RetryStrategyConfig(retryable_errors=["x"]))
    assert not strategy(TransientError("y"), 1).should_retry


# ---------------------------------------------------------------------------------- presets


def max_attempts(strategy: Callable[[Exception, int], RetryDecision]) -> int:
    n = 1
    while strategy(ValueError(), n).should_retry:
        n += 1
    return n


@pytest.mark.parametrize(
    ("preset", "attempts"),
    [
        (RetryPresets.none, 1),
        (RetryPresets.default, 6),
        (RetryPresets.transient, 3),
        (RetryPresets.resource_availability, 5),
        (RetryPresets.critical, 10),
        (RetryPresets.linear, 6),
        (RetryPresets.fixed, 5),
    ],
    ids=["none", "default", "transient", "resource", "critical", "linear", "fixed"],
)
def test_preset_attempts(preset: Callable[[], Any], attempts: int) -> None:
    assert max_attempts(preset()) == attempts


def test_default_preset_caps_at_60_seconds_with_full_jitter() -> None:
    strategy = RetryPresets.default()
    for _ in range(100):
        assert 1 <= strategy(ValueError(), 5).delay_seconds <= 60


def test_transient_preset_half_jitter() -> None:
    strategy = RetryPresets.transient()
    for _ in range(100):
        assert 3 <= strategy(ValueError(), 1).delay_seconds <= 5  # ceil(2.5..5)


def test_critical_preset_exact_delays() -> None:
    # 1 s x1.5, no jitter, ceil'ed: 1, 1.5, 2.25, 3.375, 5.06, 7.59, 11.39, 17.09, 25.6
    assert delays(RetryPresets.critical(), 10) == [1, 2, 3, 4, 6, 8, 12, 18, 26, None]


def test_critical_preset_caps_at_one_minute() -> None:
    assert RetryPresets.critical()(ValueError(), 9).delay_seconds == 26
    strategy = create_retry_strategy(
        RetryStrategyConfig(
            max_attempts=30,
            initial_delay=Duration(1),
            max_delay=Duration(60),
            backoff_rate=1.5,
            jitter_strategy=JitterStrategy.NONE,
        )
    )
    assert strategy(ValueError(), 20).delay_seconds == 60


def test_linear_preset_delays() -> None:
    assert delays(RetryPresets.linear(), 6) == [1, 2, 3, 4, 5, None]


def test_fixed_preset_delays() -> None:
    assert delays(RetryPresets.fixed(), 5) == [5, 5, 5, 5, None]
    assert delays(RetryPresets.fixed(Duration(2)), 5) == [2, 2, 2, 2, None]


# ---------------------------------------------------------------------------------- with_retry


class FakeContext:
    """Records waits and child contexts; enough of DurableContext for with_retry."""

    def __init__(self) -> None:
        self.waits: list[tuple[int, str | None]] = []
        self.children: list[tuple[str | None, Any]] = []

    def wait(self, duration: Duration, name: str | None = None) -> None:
        self.waits.append((duration.to_seconds(), name))

    def run_in_child_context(
        self, func: Callable[[Any], Any], name: str | None = None, config: Any = None
    ) -> Any:
        self.children.append((name, config))
        return func(self)


def flaky(failures: int, error: Exception | None = None) -> Callable[[Any, int], str]:
    def func(ctx: Any, attempt: int) -> str:
        if attempt <= failures:
            raise error or ValueError(f"fail {attempt}")
        return f"ok on {attempt}"

    return func


def fixed(seconds: int, attempts: int) -> Callable[[Exception, int], RetryDecision]:
    def strategy(error: Exception, attempt: int) -> RetryDecision:
        if attempt >= attempts:
            return RetryDecision.no_retry()
        return RetryDecision.retry(Duration(seconds))

    return strategy


def test_with_retry_retries_with_named_backoff_waits_in_child_context() -> None:
    ctx = FakeContext()
    child_config: ChildConfig[str] = ChildConfig(sub_type="Block")
    config = WithRetryConfig(retry_strategy=fixed(3, 5), child_context_config=child_config)
    assert with_retry(ctx, flaky(2), config, name="block") == "ok on 3"
    assert ctx.waits == [(3, "block-backoff-1"), (3, "block-backoff-2")]
    assert ctx.children == [("block", child_config)]


def test_with_retry_unnamed_waits_are_unnamed() -> None:
    ctx = FakeContext()
    with_retry(ctx, flaky(1), WithRetryConfig(retry_strategy=fixed(1, 5)))
    assert ctx.waits == [(1, None)]


def test_with_retry_gives_up_with_original_error() -> None:
    ctx = FakeContext()
    with pytest.raises(ValueError, match="fail 2"):
        with_retry(ctx, flaky(9), WithRetryConfig(retry_strategy=fixed(1, 2)))
    assert len(ctx.waits) == 1


def test_with_retry_unwrapped_runs_on_given_context() -> None:
    ctx = FakeContext()
    config: WithRetryConfig[str] = WithRetryConfig(
        retry_strategy=fixed(1, 3), wrap_with_run_in_child_context=False
    )
    assert with_retry(ctx, flaky(1), config) == "ok on 2"
    assert ctx.children == []


def test_with_retry_default_strategy_is_three_attempts() -> None:
    ctx = FakeContext()
    with pytest.raises(ValueError, match="fail 3"):
        with_retry(ctx, flaky(9))
    assert len(ctx.waits) == 2
    assert all(1 <= seconds <= 10 for seconds, _ in ctx.waits)


def test_with_retry_raises_sub_second_delays_to_one_second() -> None:
    ctx = FakeContext()
    with_retry(ctx, flaky(1), WithRetryConfig(retry_strategy=fixed(0, 5)))
    assert ctx.waits == [(1, None)]


@pytest.mark.parametrize(
    "error",
    [
        SuspendExecution("waiting"),
        NonDeterministicExecutionError("changed"),
        RetryableSerDesError("again"),
    ],
    ids=["suspend", "non-deterministic", "retryable-invocation-error"],
)
def test_with_retry_never_retries_control_flow_errors(error: BaseException) -> None:
    ctx = FakeContext()
    calls: list[int] = []

    def func(c: Any, attempt: int) -> None:
        calls.append(attempt)
        raise error

    with pytest.raises(type(error)):
        with_retry(ctx, func, WithRetryConfig(retry_strategy=fixed(1, 5)))
    assert calls == [1]
    assert ctx.waits == []
