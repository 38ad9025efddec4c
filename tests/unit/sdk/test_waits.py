"""Unit tests for durable_lambda.waits (sdk-spec.md §5.11)."""

from __future__ import annotations

import pytest

from durable_lambda.config import Duration, JitterStrategy
from durable_lambda.exceptions import WaitForConditionError
from durable_lambda.waits import (
    WaitForConditionConfig,
    WaitForConditionDecision,
    WaitStrategyConfig,
    create_wait_strategy,
)


def test_decision_builders() -> None:
    decision = WaitForConditionDecision.continue_waiting(Duration(4))
    assert (decision.should_continue, decision.delay_seconds) == (True, 4)
    stop = WaitForConditionDecision.stop_polling()
    assert stop == WaitForConditionDecision(should_continue=False, delay=Duration(0))


def test_wait_strategy_config_defaults() -> None:
    config: WaitStrategyConfig[int] = WaitStrategyConfig(should_continue_polling=lambda s: True)
    assert config.max_attempts == 60
    assert (config.initial_delay, config.max_delay) == (Duration(5), Duration(300))
    assert (config.backoff_rate, config.jitter_strategy) == (1.5, JitterStrategy.FULL)


def test_wait_for_condition_config() -> None:
    def strategy(state: int, attempt: int) -> WaitForConditionDecision:
        return WaitForConditionDecision.stop_polling()

    config = WaitForConditionConfig(wait_strategy=strategy, initial_state=0)
    assert (config.initial_state, config.serdes) == (0, None)


def no_jitter(max_attempts: int = 60) -> WaitStrategyConfig[int]:
    return WaitStrategyConfig(
        should_continue_polling=lambda state: state < 100,
        max_attempts=max_attempts,
        initial_delay=Duration(2),
        max_delay=Duration(10),
        backoff_rate=2,
        jitter_strategy=JitterStrategy.NONE,
    )


def test_backoff_delays_capped() -> None:
    strategy = create_wait_strategy(no_jitter())
    assert [strategy(0, n).delay_seconds for n in range(1, 6)] == [2, 4, 8, 10, 10]
    assert all(strategy(0, n).should_continue for n in range(1, 6))


def test_default_backoff_rate_and_ceil() -> None:
    config: WaitStrategyConfig[int] = WaitStrategyConfig(
        should_continue_polling=lambda s: True, jitter_strategy=JitterStrategy.NONE
    )
    strategy = create_wait_strategy(config)
    # 5 * 1.5 ** (n - 1): 5, 7.5, 11.25 -> ceil
    assert [strategy(0, n).delay_seconds for n in (1, 2, 3)] == [5, 8, 12]


def test_full_jitter_bounds() -> None:
    config: WaitStrategyConfig[int] = WaitStrategyConfig(
        should_continue_polling=lambda s: True, initial_delay=Duration(4)
    )
    strategy = create_wait_strategy(config)
    for _ in range(100):
        assert 1 <= strategy(0, 1).delay_seconds <= 4


def test_condition_met_stops() -> None:
    strategy = create_wait_strategy(no_jitter())
    assert strategy(100, 1) == WaitForConditionDecision.stop_polling()


def test_condition_met_wins_on_last_attempt() -> None:
    strategy = create_wait_strategy(no_jitter(max_attempts=3))
    assert not strategy(100, 3).should_continue


def test_exhaustion_raises() -> None:
    strategy = create_wait_strategy(no_jitter(max_attempts=3))
    assert strategy(0, 2).should_continue
    with pytest.raises(WaitForConditionError) as info:
        strategy(0, 3)
    assert str(info.value) == "wait_for_condition exhausted 3 attempts before the condition was met"
