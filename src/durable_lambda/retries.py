"""Retry strategies, name for name with AWS SDK 3.0.0 ``retries`` (sdk-spec.md §6, §4.11).

Owns the strategy factories (exponential and linear back-off with error filters), the presets,
and ``with_retry``, which retries a block of durable logic inside a child context.

A strategy is any callable ``(error, attempts_made) -> RetryDecision``; ``attempts_made`` is the
1-based number of the attempt that just failed, so ``max_attempts`` counts *total* attempts.
Jitter draws from ``random`` (the only non-determinism here), which is safe because a decision is
made once and its delay is checkpointed (``RETRY`` / ``WAIT START``) before anyone relies on it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from durable_lambda.config import ChildConfig, Duration, JitterStrategy
from durable_lambda.exceptions import ExecutionError, InvocationError

T = TypeVar("T")

__all__ = [
    "LinearRetryStrategyConfig",
    "RetryDecision",
    "RetryPresets",
    "RetryStrategyConfig",
    "WithRetryConfig",
    "create_linear_retry_strategy",
    "create_retry_strategy",
    "with_retry",
]


@dataclass(frozen=True)
class RetryDecision:
    """Whether to retry a failed attempt, and after how long."""

    should_retry: bool
    delay: Duration = field(default_factory=Duration)

    @classmethod
    def retry(cls, delay: Duration) -> RetryDecision:
        """Retry after ``delay``."""
        return cls(should_retry=True, delay=delay)

    @classmethod
    def no_retry(cls) -> RetryDecision:
        """Give up: the operation fails."""
        return cls(should_retry=False, delay=Duration())

    @property
    def delay_seconds(self) -> int:
        """The delay in whole seconds."""
        return self.delay.to_seconds()


RetryStrategy = Callable[[Exception, int], RetryDecision]
ErrorPattern = str | re.Pattern[str]


@dataclass
class RetryStrategyConfig:
    """Exponential back-off: ``initial * backoff_rate ** (n - 1)`` capped at ``max_delay``."""

    max_attempts: int = 3
    initial_delay: Duration = field(default_factory=lambda: Duration.from_seconds(5))
    max_delay: Duration = field(default_factory=lambda: Duration.from_minutes(5))
    backoff_rate: float = 2.0
    jitter_strategy: JitterStrategy = JitterStrategy.FULL
    retryable_errors: list[ErrorPattern] | None = None
    retryable_error_types: list[type[Exception]] | None = None


@dataclass
class LinearRetryStrategyConfig:
    """Linear back-off: ``initial + increment * (n - 1)`` capped at ``max_delay``."""

    max_attempts: int = 6
    initial_delay: Duration = field(default_factory=lambda: Duration.from_seconds(1))
    increment: Duration = field(default_factory=lambda: Duration.from_seconds(1))
    max_delay: Duration = field(default_factory=lambda: Duration.from_minutes(5))
    jitter_strategy: JitterStrategy = JitterStrategy.FULL
    retryable_errors: list[ErrorPattern] | None = None
    retryable_error_types: list[type[Exception]] | None = None


def _is_retryable(
    error: Exception,
    patterns: Sequence[ErrorPattern] | None,
    types: Sequence[type[Exception]] | None,
) -> bool:
    """The error filter of §6 step 2.

    With no filter at all everything matches; setting only one filter disables that match-all
    default (seed patch 50). Plain strings match as substrings, compiled patterns via ``search``.
    """
    if patterns is None and types is None:
        return True
    message = str(error)
    for pattern in patterns or ():
        if isinstance(pattern, re.Pattern):
            if pattern.search(message):
                return True
        elif pattern in message:
            return True
    return bool(types) and isinstance(error, tuple(types or ()))


def create_retry_strategy(config: RetryStrategyConfig | None = None) -> RetryStrategy:
    """An exponential back-off strategy (§6); ``None`` uses ``RetryStrategyConfig()``."""
    cfg = config or RetryStrategyConfig()

    def strategy(error: Exception, attempts_made: int) -> RetryDecision:
        if attempts_made >= cfg.max_attempts:
            return RetryDecision.no_retry()
        if not _is_retryable(error, cfg.retryable_errors, cfg.retryable_error_types):
            return RetryDecision.no_retry()
        base = min(
            cfg.initial_delay.to_seconds() * cfg.backoff_rate ** (attempts_made - 1),
            cfg.max_delay.to_seconds(),
        )
        return RetryDecision.retry(Duration(cfg.jitter_strategy.finalize_delay(base)))

    return strategy


def create_linear_retry_strategy(config: LinearRetryStrategyConfig | None = None) -> RetryStrategy:
    """A linear back-off strategy (§6); ``None`` uses ``LinearRetryStrategyConfig()``."""
    cfg = config or LinearRetryStrategyConfig()

    def strategy(error: Exception, attempts_made: int) -> RetryDecision:
        if attempts_made >= cfg.max_attempts:
            return RetryDecision.no_retry()
        if not _is_retryable(error, cfg.retryable_errors, cfg.retryable_error_types):
            return RetryDecision.no_retry()
        base = min(
            cfg.initial_delay.to_seconds() + cfg.increment.to_seconds() * (attempts_made - 1),
            cfg.max_delay.to_seconds(),
        )
        return RetryDecision.retry(Duration(cfg.jitter_strategy.finalize_delay(base)))

    return strategy


class RetryPresets:
    """Ready-made strategies with the parameters of the table in §6."""

    @staticmethod
    def none() -> RetryStrategy:
        """A single attempt: never retry (strict at-most-once, §16.2)."""
        return create_retry_strategy(RetryStrategyConfig(max_attempts=1))

    @staticmethod
    def default() -> RetryStrategy:
        """6 attempts, 5 s x2 capped at 60 s, full jitter: used when a step has no strategy."""
        return create_retry_strategy(
            RetryStrategyConfig(max_attempts=6, max_delay=Duration.from_minutes(1))
        )

    @staticmethod
    def transient() -> RetryStrategy:
        """3 attempts, 5 s x2 capped at 5 min, half jitter."""
        return create_retry_strategy(
            RetryStrategyConfig(max_attempts=3, jitter_strategy=JitterStrategy.HALF)
        )

    @staticmethod
    def resource_availability() -> RetryStrategy:
        """5 attempts, 5 s x2 capped at 5 min, full jitter."""
        return create_retry_strategy(RetryStrategyConfig(max_attempts=5))

    @staticmethod
    def critical() -> RetryStrategy:
        """10 attempts, 1 s x1.5 capped at 60 s, no jitter."""
        return create_retry_strategy(
            RetryStrategyConfig(
                max_attempts=10,
                initial_delay=Duration.from_seconds(1),
                max_delay=Duration.from_minutes(1),
                backoff_rate=1.5,
                jitter_strategy=JitterStrategy.NONE,
            )
        )

    @staticmethod
    def linear() -> RetryStrategy:
        """6 attempts at 1, 2, 3, 4, 5 s, no jitter."""
        return create_linear_retry_strategy(
            LinearRetryStrategyConfig(jitter_strategy=JitterStrategy.NONE)
        )

    @staticmethod
    def fixed(interval: Duration | None = None) -> RetryStrategy:
        """5 attempts, ``interval`` (default 5 s) apart, no jitter."""
        step = interval if interval is not None else Duration.from_seconds(5)
        return create_retry_strategy(
            RetryStrategyConfig(
                max_attempts=5,
                initial_delay=step,
                max_delay=step,
                backoff_rate=1,
                jitter_strategy=JitterStrategy.NONE,
            )
        )


# --------------------------------------------------------------------------------------------
# with_retry (§4.11)


class _RetryContext(Protocol):
    """The two ``DurableContext`` methods ``with_retry`` needs (kept loose to avoid a cycle)."""

    def run_in_child_context(
        self, func: Callable[[Any], Any], name: str | None = None, config: Any = None
    ) -> Any: ...

    def wait(self, duration: Duration, name: str | None = None) -> None: ...


@dataclass(frozen=True)
class WithRetryConfig(Generic[T]):
    """Options of ``with_retry``; ``retry_strategy=None`` means ``create_retry_strategy()``."""

    retry_strategy: RetryStrategy | None = None
    wrap_with_run_in_child_context: bool = True
    child_context_config: ChildConfig[T] | None = None


def with_retry(
    context: Any,
    func: Callable[[Any, int], T],
    config: WithRetryConfig[T] | None = None,
    name: str | None = None,
) -> T:
    """Runs ``func(ctx, attempt)`` until it returns or the strategy gives up (§4.11).

    Back-off is a durable ``wait`` named ``"{name}-backoff-{attempt}"``, so a retried block
    survives invocations. Wrapped (default) in ``run_in_child_context(name=name)``: the final
    failure then surfaces as ``ChildContextError`` whose cause is the original error.
    """
    cfg = config if config is not None else WithRetryConfig[T]()
    strategy = cfg.retry_strategy or create_retry_strategy()

    def body(ctx: _RetryContext) -> T:
        attempt = 1
        while True:
            try:
                return func(ctx, attempt)
            except ExecutionError:
                # Non-determinism must fail the execution, never be retried away.
                raise
            except InvocationError as err:
                if err.is_retryable():
                    raise  # the backend retries the invocation (§9.5)
                decision = strategy(err, attempt)
                if not decision.should_retry:
                    raise
            except Exception as err:  # SuspendExecution is a BaseException and passes through
                decision = strategy(err, attempt)
                if not decision.should_retry:
                    raise
            backoff = f"{name}-backoff-{attempt}" if name else None
            # context.wait rejects < 1 s; delays are raised to 1 s as for step retries (§22.14).
            ctx.wait(Duration(max(1, decision.delay_seconds)), name=backoff)
            attempt += 1

    if cfg.wrap_with_run_in_child_context:
        result: T = context.run_in_child_context(body, name=name, config=cfg.child_context_config)
        return result
    return body(context)
