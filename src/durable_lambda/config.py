"""Configuration values of the SDK, name for name with AWS SDK 3.0.0 ``config`` (sdk-spec.md §5).

Owns the immutable option objects handed to ``DurableContext`` operations (``Duration``, the
per-operation ``*Config`` classes), the map/parallel completion vocabulary (``CompletionConfig``
and the ``should_complete`` predicate types of §5.10) and ``JitterStrategy`` with the delay
finalisation shared by retry and wait strategies (§5.12).

Deliberately not here: the completion *decision* (``concurrency.models.CompletionPolicy``) and
the strategies themselves (``retries``, ``waits``). Invariant: every config validates itself on
construction, so an invalid value raises ``ValidationError`` before any operation id is allocated.
"""

from __future__ import annotations

import math
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum, StrEnum
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from durable_lambda.exceptions import ValidationError

if TYPE_CHECKING:
    from durable_lambda.retries import RetryDecision
    from durable_lambda.serdes import SerDes
    from durable_lambda.types import SummaryGenerator

T = TypeVar("T")
P = TypeVar("P")
R = TypeVar("R")

__all__ = [
    "BatchItemStatus",
    "CallbackConfig",
    "ChildConfig",
    "CompletionConfig",
    "CompletionDecision",
    "CompletionItemStatus",
    "CompletionOutcome",
    "CompletionStatus",
    "Duration",
    "InvokeConfig",
    "JitterStrategy",
    "MapConfig",
    "NestingType",
    "ParallelBranch",
    "ParallelConfig",
    "StepConfig",
    "StepSemantics",
    "WaitForCallbackConfig",
    "complete_batch",
    "continue_batch",
]

RetryStrategy = Callable[[Exception, int], "RetryDecision"]

# sdk-spec.md §5.3: custom sub types are 1-32 characters of A-Z a-z 0-9 - _.
_SUB_TYPE_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,32}")


def validate_sub_type(sub_type: str | None) -> None:
    """Rejects a custom ``sub_type`` label that the backend would not accept.

    ``None`` and ``""`` mean "use the SDK default" (sdk-spec.md §5.3).

    Raises:
        ValidationError: the label is not 1-32 characters of ``[A-Za-z0-9_-]``.
    """
    if sub_type is None or sub_type == "":
        return
    if not isinstance(sub_type, str) or _SUB_TYPE_PATTERN.fullmatch(sub_type) is None:
        raise ValidationError(
            f"sub_type must be 1-32 characters of A-Z, a-z, 0-9, '-' or '_', got {sub_type!r}"
        )


# --------------------------------------------------------------------------------------------
# time


@dataclass(frozen=True)
class Duration:
    """A non-negative whole number of seconds; every SDK time value is one (§5.1)."""

    seconds: int = 0

    def __post_init__(self) -> None:
        """Rejects negative durations."""
        if self.seconds < 0:
            raise ValidationError("Duration seconds must be positive")

    def to_seconds(self) -> int:
        """The duration in whole seconds."""
        return self.seconds

    @classmethod
    def from_seconds(cls, value: float) -> Duration:
        """``value`` seconds, truncated with ``int()`` as AWS does."""
        return cls(int(value))

    @classmethod
    def from_minutes(cls, value: float) -> Duration:
        """``value`` minutes, truncated to whole seconds."""
        return cls(int(value * 60))

    @classmethod
    def from_hours(cls, value: float) -> Duration:
        """``value`` hours, truncated to whole seconds."""
        return cls(int(value * 3600))

    @classmethod
    def from_days(cls, value: float) -> Duration:
        """``value`` days, truncated to whole seconds."""
        return cls(int(value * 86400))


class JitterStrategy(StrEnum):
    """How a computed back-off delay is randomised (§5.12)."""

    NONE = "NONE"
    FULL = "FULL"
    HALF = "HALF"

    def apply_jitter(self, delay: float, rng: Callable[[], float] = random.random) -> float:
        """The jittered delay: NONE keeps it, FULL draws in [0, d), HALF in [d/2, d).

        Seed patch 50 fixed AWS adding jitter on top of the delay; jitter only ever shrinks it.
        """
        if self is JitterStrategy.FULL:
            return rng() * delay
        if self is JitterStrategy.HALF:
            return delay / 2 + rng() * delay / 2
        return delay

    def finalize_delay(self, base: float, rng: Callable[[], float] = random.random) -> int:
        """Whole seconds to wait: ``max(1, ceil(jitter(base)))`` (§5.12, §22.15)."""
        return max(1, math.ceil(self.apply_jitter(base, rng)))


# --------------------------------------------------------------------------------------------
# per-operation configuration


class StepSemantics(Enum):
    """Whether an attempt interrupted mid-way may run again (§16.2)."""

    AT_MOST_ONCE_PER_RETRY = "AT_MOST_ONCE_PER_RETRY"
    AT_LEAST_ONCE_PER_RETRY = "AT_LEAST_ONCE_PER_RETRY"


@dataclass(frozen=True)
class StepConfig:
    """Options of ``context.step`` (§5.3).

    ``retry_strategy=None`` means ``RetryPresets.default()`` (6 attempts, §4.1).
    """

    retry_strategy: RetryStrategy | None = None
    step_semantics: StepSemantics = StepSemantics.AT_LEAST_ONCE_PER_RETRY
    serdes: SerDes[Any] | None = None
    sub_type: str | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        """Validates ``sub_type``."""
        validate_sub_type(self.sub_type)


@dataclass(frozen=True)
class ChildConfig(Generic[T]):
    """Options of ``context.run_in_child_context`` (§5.4)."""

    serdes: SerDes[Any] | None = None
    sub_type: str | None = None
    # Called with the raw result when its payload exceeds 256 KiB (§4.6).
    summary_generator: SummaryGenerator[T] | None = None
    # Virtual children write no checkpoints (FLAT map/parallel branches, §5.9).
    is_virtual: bool = False

    def __post_init__(self) -> None:
        """Validates ``sub_type``."""
        validate_sub_type(self.sub_type)


@dataclass(frozen=True)
class CallbackConfig:
    """Options of ``context.create_callback`` (§5.5); zero durations mean "no timeout"."""

    timeout: Duration = field(default_factory=Duration)
    heartbeat_timeout: Duration = field(default_factory=Duration)
    # None means pass-through: the callback result is the raw string the caller sent (§4.3).
    serdes: SerDes[Any] | None = None
    sub_type: str | None = field(default=None, kw_only=True)

    def __post_init__(self) -> None:
        """Validates ``sub_type``."""
        validate_sub_type(self.sub_type)

    @property
    def timeout_seconds(self) -> int:
        """``CallbackOptions.TimeoutSeconds``."""
        return self.timeout.to_seconds()

    @property
    def heartbeat_timeout_seconds(self) -> int:
        """``CallbackOptions.HeartbeatTimeoutSeconds``."""
        return self.heartbeat_timeout.to_seconds()


@dataclass(frozen=True)
class WaitForCallbackConfig(CallbackConfig):
    """Options of ``context.wait_for_callback``: a callback plus the submitter step's retries."""

    retry_strategy: RetryStrategy | None = None


@dataclass(frozen=True)
class InvokeConfig(Generic[P, R]):
    """Options of ``context.invoke`` (§5.6); both serdes default to plain JSON (seed patch 47)."""

    serdes_payload: SerDes[P] | None = None
    serdes_result: SerDes[R] | None = None
    tenant_id: str | None = None


class NestingType(Enum):
    """Whether map/parallel branches get their own CONTEXT operation (§5.9)."""

    NESTED = "NESTED"
    FLAT = "FLAT"


class BatchItemStatus(Enum):
    """Status of one map/parallel item; STARTED = running or suspended at completion (§7)."""

    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    STARTED = "STARTED"


class CompletionOutcome(Enum):
    """The outcome a ``should_complete`` predicate assigns to a batch it completes (§5.10)."""

    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"


@dataclass(frozen=True)
class CompletionItemStatus:
    """One branch as the predicate sees it; ``status=None`` = not yet scheduled."""

    index: int
    name: str | None = None
    status: BatchItemStatus | None = None


@dataclass(frozen=True)
class CompletionStatus:
    """The batch progress handed to ``CompletionConfig.should_complete``."""

    success_count: int
    failure_count: int
    completed_count: int
    total_count: int
    items: tuple[CompletionItemStatus, ...] = ()


@dataclass(frozen=True)
class CompletionDecision:
    """What a ``should_complete`` predicate returns.

    Build it with ``continue_batch()`` / ``complete_batch(outcome)``.
    """

    complete: bool
    outcome: CompletionOutcome | None = None


def continue_batch() -> CompletionDecision:
    """Keep admitting and running branches."""
    return CompletionDecision(complete=False, outcome=None)


def complete_batch(outcome: CompletionOutcome = CompletionOutcome.SUCCEEDED) -> CompletionDecision:
    """Stop the batch now with ``outcome``."""
    return CompletionDecision(complete=True, outcome=outcome)


def _check_threshold(name: str, value: float | None, low: float, high: float | None) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(f"{name} must be a number, got {value!r}")
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise ValidationError(f"{name} must be {bound}, got {value}")


@dataclass(frozen=True)
class CompletionConfig:
    """When a map/parallel batch stops (§5.10); all-``None`` is fail-fast (§15.4)."""

    min_successful: int | None = None
    tolerated_failure_count: int | None = None
    tolerated_failure_percentage: int | float | None = None
    should_complete: Callable[[CompletionStatus], CompletionDecision] | None = None

    def __post_init__(self) -> None:
        """Validates thresholds and the predicate (§5.10)."""
        _check_threshold("min_successful", self.min_successful, 1, None)
        _check_threshold("tolerated_failure_count", self.tolerated_failure_count, 0, None)
        _check_threshold("tolerated_failure_percentage", self.tolerated_failure_percentage, 0, 100)
        if self.should_complete is None:
            return
        if not callable(self.should_complete):
            raise ValidationError("should_complete must be callable")
        if self.has_thresholds:
            # §5.10: a predicate owns the whole decision; mixing would make it non-monotonic.
            raise ValidationError(
                "should_complete cannot be combined with min_successful, "
                "tolerated_failure_count or tolerated_failure_percentage"
            )

    @property
    def has_thresholds(self) -> bool:
        """Whether any of the three numeric thresholds is set."""
        return not (
            self.min_successful is None
            and self.tolerated_failure_count is None
            and self.tolerated_failure_percentage is None
        )

    def _validate_for_total(self, total: int) -> None:
        """Checks the config against the batch size before any checkpoint (§4.7).

        Raises:
            ValidationError: ``min_successful`` exceeds the number of items.
        """
        if self.min_successful is not None and self.min_successful > total:
            raise ValidationError(
                f"min_successful ({self.min_successful}) cannot exceed the number of items "
                f"({total})"
            )

    @classmethod
    def first_successful(cls) -> CompletionConfig:
        """Complete on the first success; failures never stop the batch."""
        return cls(min_successful=1)

    @classmethod
    def all_successful(cls) -> CompletionConfig:
        """Every item must succeed: stop admitting after the first failure."""
        return cls(tolerated_failure_count=0, tolerated_failure_percentage=0)

    @classmethod
    def all_completed(cls) -> CompletionConfig:
        """Run every item whatever fails (100 % tolerance in 3.0; all-None in 1.1 was fail-fast)."""
        return cls(tolerated_failure_percentage=100)


# --------------------------------------------------------------------------------------------
# map / parallel


@dataclass(frozen=True)
class MapConfig(Generic[T]):
    """Options of ``context.map`` (§5.7); ``max_concurrency < 1`` is rejected by the executor."""

    max_concurrency: int | None = None
    completion_config: CompletionConfig = field(default_factory=CompletionConfig)
    serdes: SerDes[Any] | None = None
    item_serdes: SerDes[Any] | None = None
    summary_generator: SummaryGenerator[Any] | None = None
    nesting_type: NestingType = NestingType.NESTED
    item_namer: Callable[[T, int], str] | None = None


@dataclass(frozen=True)
class ParallelConfig:
    """Options of ``context.parallel`` (§5.8); the default completion is all-successful."""

    max_concurrency: int | None = None
    completion_config: CompletionConfig = field(default_factory=CompletionConfig.all_successful)
    serdes: SerDes[Any] | None = None
    item_serdes: SerDes[Any] | None = None
    summary_generator: SummaryGenerator[Any] | None = None
    nesting_type: NestingType = NestingType.NESTED


@dataclass(frozen=True)
class ParallelBranch(Generic[T]):
    """A parallel branch with a name; calling it calls ``func`` (§5.8)."""

    func: Callable[..., T]
    name: str | None = None

    def __call__(self, *args: Any, **kwargs: Any) -> T:
        """Delegates to ``func``."""
        return self.func(*args, **kwargs)
