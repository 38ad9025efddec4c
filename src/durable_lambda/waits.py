"""``wait_for_condition`` configuration, name for name with AWS SDK 3.0.0 ``waits`` (§5.11).

Owns the polling decision type and the back-off wait strategy factory. A wait strategy is any
callable ``(state, attempts_made) -> WaitForConditionDecision``; the executor checkpoints each
poll as a STEP ``RETRY`` carrying the state and ``max(1, delay)`` (sdk-spec.md §4.9).

Invariant (3.0 behaviour, §5.11): a met condition wins even on the last attempt, and running out
of attempts *raises* ``WaitForConditionError`` (1.1 reported success with a partial state).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from durable_lambda.config import Duration, JitterStrategy
from durable_lambda.exceptions import WaitForConditionError

if TYPE_CHECKING:
    from durable_lambda.serdes import SerDes

T = TypeVar("T")

__all__ = [
    "WaitForConditionConfig",
    "WaitForConditionDecision",
    "WaitStrategyConfig",
    "create_wait_strategy",
]


@dataclass(frozen=True)
class WaitForConditionDecision:
    """Whether to poll again, and after how long."""

    should_continue: bool
    delay: Duration = field(default_factory=Duration)

    @classmethod
    def continue_waiting(cls, delay: Duration) -> WaitForConditionDecision:
        """Poll again after ``delay``."""
        return cls(should_continue=True, delay=delay)

    @classmethod
    def stop_polling(cls) -> WaitForConditionDecision:
        """The condition is met: the operation succeeds with the current state."""
        return cls(should_continue=False, delay=Duration())

    @property
    def delay_seconds(self) -> int:
        """The delay in whole seconds."""
        return self.delay.to_seconds()


WaitStrategy = Callable[[T, int], WaitForConditionDecision]


@dataclass(frozen=True)
class WaitForConditionConfig(Generic[T]):
    """Options of ``context.wait_for_condition``; ``serdes=None`` = extended-types serdes."""

    wait_strategy: Callable[[T, int], WaitForConditionDecision]
    initial_state: T
    serdes: SerDes[Any] | None = None


@dataclass
class WaitStrategyConfig(Generic[T]):
    """Parameters of ``create_wait_strategy``: exponential back-off between polls."""

    should_continue_polling: Callable[[T], bool]
    max_attempts: int = 60
    initial_delay: Duration = field(default_factory=lambda: Duration.from_seconds(5))
    max_delay: Duration = field(default_factory=lambda: Duration.from_minutes(5))
    backoff_rate: float = 1.5
    jitter_strategy: JitterStrategy = JitterStrategy.FULL


def create_wait_strategy(config: WaitStrategyConfig[T]) -> WaitStrategy[T]:
    """A polling strategy built from ``config`` (§5.11).

    The returned callable raises ``WaitForConditionError`` once ``max_attempts`` polls were
    made without the condition being met; the executor checkpoints that as the FAIL error.
    """

    def strategy(state: T, attempts_made: int) -> WaitForConditionDecision:
        if not config.should_continue_polling(state):
            return WaitForConditionDecision.stop_polling()
        if attempts_made >= config.max_attempts:
            raise WaitForConditionError(
                f"wait_for_condition exhausted {config.max_attempts} attempts "
                "before the condition was met"
            )
        base = min(
            config.initial_delay.to_seconds() * config.backoff_rate ** (attempts_made - 1),
            config.max_delay.to_seconds(),
        )
        return WaitForConditionDecision.continue_waiting(
            Duration(config.jitter_strategy.finalize_delay(base))
        )

    return strategy
