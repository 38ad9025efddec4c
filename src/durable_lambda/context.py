"""``DurableContext``: the object handler code calls durable operations on (sdk-spec.md §4).

Owns, per context: the operation counter that makes ids deterministic (§11), the parent id and id
prefix that chain child contexts, the per-context replay status that mutes the logger while
replaying (§12.3), and the public decorators. The protocols themselves live in
``durable_lambda._sdk.operations``; this module only allocates ids, resolves names and configs,
tracks replay status, and delegates.

Invariant: every operation call allocates its id before doing anything else (wait and map/
parallel validation excepted, as in AWS), so calls must happen in the same order on every replay.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

from durable_lambda._sdk.identifier import OrderedCounter, make_operation_id
from durable_lambda._sdk.operations.base import OperationIdentifier
from durable_lambda._sdk.operations.callback import Callback, execute_create_callback
from durable_lambda._sdk.operations.child import ChildExecutor, check_virtual_child
from durable_lambda._sdk.operations.invoke import execute_invoke
from durable_lambda._sdk.operations.step import StepExecutor
from durable_lambda._sdk.operations.wait import execute_wait
from durable_lambda._sdk.operations.wait_for_callback import run_wait_for_callback
from durable_lambda._sdk.operations.wait_for_condition import WaitForConditionExecutor
from durable_lambda._sdk.state import ExecutionState
from durable_lambda.config import (
    CallbackConfig,
    ChildConfig,
    Duration,
    InvokeConfig,
    StepConfig,
    WaitForCallbackConfig,
)
from durable_lambda.exceptions import ValidationError
from durable_lambda.lambda_service import OperationSubType, OperationType
from durable_lambda.logger import Logger, LogInfo
from durable_lambda.types import StepContext, WaitForCallbackContext, WaitForConditionCheckContext

if TYPE_CHECKING:
    from durable_lambda.concurrency.models import BatchResult
    from durable_lambda.config import MapConfig, ParallelBranch, ParallelConfig
    from durable_lambda.waits import WaitForConditionConfig

__all__ = [
    "Callback",
    "DurableContext",
    "ExecutionContext",
    "ReplayStatus",
    "durable_parallel_branch",
    "durable_step",
    "durable_wait_for_callback",
    "durable_with_child_context",
]

T = TypeVar("T")
U = TypeVar("U")
P = ParamSpec("P")


class ReplayStatus(Enum):
    """Whether a context is re-running checkpointed code; REPLAY mutes its logger (§12.3)."""

    NEW = "NEW"
    REPLAY = "REPLAY"


@dataclass(frozen=True)
class ExecutionContext:
    """Facts about the execution a context belongs to."""

    durable_execution_arn: str


def _resolve_name(name: str | None, func: Any) -> str | None:
    """Explicit name, else the decorators' ``_original_name`` (§4 "Common rules")."""
    return name or getattr(func, "_original_name", None) or None


class DurableContext:
    """Durable operations for handler code; one per execution level (root, child, branch)."""

    def __init__(  # noqa: PLR0917  (AWS's constructor signature)
        self,
        state: ExecutionState,
        execution_context: ExecutionContext | None = None,
        lambda_context: Any = None,
        parent_id: str | None = None,
        logger: Logger | None = None,
        step_id_prefix: str | None = None,
        replay_status: ReplayStatus = ReplayStatus.NEW,
        *,
        is_virtual: bool = False,
    ) -> None:
        """Builds a context; the SDK does this, handler code receives one.

        Args:
            state: The invocation's checkpointed operations and checkpoint queue.
            execution_context: Facts about the execution; derived from ``state`` when omitted.
            lambda_context: The Lambda context of the invocation, shared by child contexts.
            parent_id: Id of the CONTEXT operation this context runs in; None at the root.
            logger: Logger to enrich and mute while replaying; the root logger when omitted.
            step_id_prefix: Prefix of this context's operation ids (§11); None at the root.
            replay_status: Initial replay status, refined around each operation.
            is_virtual: True for a FLAT branch context, which has no CONTEXT operation.
        """
        self.state = state
        self.execution_context = execution_context or ExecutionContext(state.durable_execution_arn)
        self.lambda_context = lambda_context
        self._parent_id = parent_id
        self._step_id_prefix = step_id_prefix
        self._replay_status = replay_status
        self._is_virtual = is_virtual
        self._counter = OrderedCounter()
        # Built on first use (most map/parallel branches never log): only the base logger is
        # taken now, so the result equals what building it here would give (decision 0006).
        self._logger_obj: Logger | None = None
        self._base_logger: Any = None
        if logger is None:
            self._base_logger = logging.getLogger()
        elif type(logger) is Logger:
            self._base_logger = logger.base_logger
        else:  # a Logger subclass may enrich differently: build it now, as it would have been
            info = LogInfo(state.durable_execution_arn, parent_id=parent_id)
            self._logger_obj = logger.with_log_info(info).with_replay_predicate(self.is_replaying)

    @classmethod
    def from_lambda_context(
        cls, state: ExecutionState, lambda_context: Any, *, is_replaying: bool = False
    ) -> DurableContext:
        """Builds the root context of an invocation, in REPLAY status when ``is_replaying``."""
        status = ReplayStatus.REPLAY if is_replaying else ReplayStatus.NEW
        return cls(state, lambda_context=lambda_context, replay_status=status)

    # ------------------------------------------------------------------ context facts

    @property
    def _logger(self) -> Logger:
        built = self._logger_obj
        if built is None:
            info = LogInfo(self.state.durable_execution_arn, parent_id=self._parent_id)
            built = Logger.from_log_info(self._base_logger, info, is_replaying=self.is_replaying)
            self._logger_obj = built
        return built

    @property
    def logger(self) -> Logger:
        """The replay-aware logger: enriched with execution facts, silent while replaying."""
        return self._logger

    def set_logger(self, new_logger: Any) -> None:
        """Replaces the underlying logger (e.g. Powertools), keeping enrichment and muting."""
        self._logger.set_logger(new_logger)

    def is_replaying(self) -> bool:
        """Whether this context is re-running operations that already have checkpoints."""
        return self._replay_status is ReplayStatus.REPLAY

    @property
    def is_virtual(self) -> bool:
        """True for a FLAT map/parallel branch context, which checkpoints no CONTEXT of its own."""
        return self._is_virtual

    @property
    def parent_id(self) -> str | None:
        """The ``ParentId`` this context's operations are written with; None at the root."""
        return self._parent_id

    def create_child_context(
        self, operation_id: str, *, is_virtual: bool = False
    ) -> DurableContext:
        """Builds a context whose operations are prefixed by ``operation_id``.

        A virtual one keeps this context's parent id so the virtual level is invisible in the
        tree (§4.6).
        """
        built = self._logger_obj
        child = DurableContext(
            self.state,
            self.execution_context,
            self.lambda_context,
            parent_id=self._parent_id if is_virtual else operation_id,
            logger=built,
            step_id_prefix=operation_id,
            replay_status=self._replay_status,
            is_virtual=is_virtual,
        )
        if built is None:
            # This context's logger, once built, would be a plain Logger over this base.
            child._base_logger = self._base_logger  # same class
        return child

    # ------------------------------------------------------------------ ids and replay status

    def _next_identifier(self, name: str | None) -> tuple[OperationIdentifier, int]:
        counter = self._counter.increment()
        op_id = make_operation_id(self._step_id_prefix, counter)
        return OperationIdentifier(op_id, self._parent_id, name), counter

    @contextmanager
    def _replay_window(self, operation_id: str, counter: int) -> Iterator[None]:
        """Refines this context's replay status around one operation (§12.3)."""
        resumed = False
        if self.is_replaying():
            checkpoint = self.state.get_checkpoint_result(operation_id)
            if checkpoint is None or (
                checkpoint.operation_type is OperationType.STEP
                and not checkpoint.status.is_terminal
            ):
                # New code, or a step that runs its body again: its logs must appear.
                self._replay_status = ReplayStatus.NEW
            elif not checkpoint.status.is_terminal:
                resumed = True
        try:
            yield
        finally:
            if self.is_replaying():
                next_id = make_operation_id(self._step_id_prefix, counter + 1)
                if resumed or not self.state.has_operation(next_id):
                    self._replay_status = ReplayStatus.NEW

    # ------------------------------------------------------------------ operations

    def step(
        self,
        func: Callable[[StepContext], T],
        name: str | None = None,
        config: StepConfig | None = None,
    ) -> T:
        """Runs ``func`` as a checkpointed step and returns its result (sdk-spec.md §4.1).

        On replay a finished step returns its stored result (or raises its stored error) without
        running ``func``; failures are retried per ``config.retry_strategy``.
        """
        identifier, counter = self._next_identifier(_resolve_name(name, func))
        with self._replay_window(identifier.operation_id, counter):
            executor = StepExecutor(
                self.state, identifier, func, config or StepConfig(), self._logger
            )
            result: T = executor.execute()
            return result

    def wait(self, duration: Duration, name: str | None = None) -> None:
        """Pauses the execution for ``duration`` (at least 1 second) without running (§4.2).

        The invocation suspends and the backend re-invokes the function when the timer fires.
        """
        seconds = duration.to_seconds()
        if seconds < 1:
            raise ValidationError("duration must be at least 1 second")
        identifier, counter = self._next_identifier(name)
        with self._replay_window(identifier.operation_id, counter):
            execute_wait(self.state, identifier, seconds)

    def create_callback(
        self, name: str | None = None, config: CallbackConfig | None = None
    ) -> Callback[Any]:
        """Creates a callback an external system completes with its id (§4.3).

        Never raises for a failed or timed-out callback: the error is deferred to
        ``Callback.result()`` so the code in between runs the same way on replay.
        """
        identifier, counter = self._next_identifier(name)
        with self._replay_window(identifier.operation_id, counter):
            return execute_create_callback(self.state, identifier, config or CallbackConfig())

    def wait_for_callback(
        self,
        submitter: Callable[[str, WaitForCallbackContext], Any],
        name: str | None = None,
        config: WaitForCallbackConfig | None = None,
    ) -> Any:
        """Creates a callback, hands its id to ``submitter`` in a step, and waits for it (§4.4).

        Runs as one child context, so a failed submitter or callback surfaces as a callback error.
        """
        return run_wait_for_callback(
            self, submitter, _resolve_name(name, submitter), config or WaitForCallbackConfig()
        )

    def run_in_child_context(
        self,
        func: Callable[[DurableContext], T],
        name: str | None = None,
        config: ChildConfig[T] | None = None,
    ) -> T:
        """Runs ``func`` in a child context checkpointed as one CONTEXT operation (§4.6).

        Groups operations under one parent; once it succeeded, replay returns the stored result
        without running ``func`` again (unless the result was too large to store).
        """
        config = config or ChildConfig()
        # Conformance 3-x expects a Name on child contexts the handler did not name explicitly
        # (conformance.md §8.2): fall back to the function's own name, never "<lambda>".
        resolved = _resolve_name(name, func)
        if resolved is None:
            fallback = getattr(func, "__name__", None)
            resolved = fallback if fallback and fallback != "<lambda>" else None
        return self._run_child(
            func,
            resolved,
            sub_type=config.sub_type or str(OperationSubType.RUN_IN_CHILD_CONTEXT),
            serdes=config.serdes,
            summary_generator=config.summary_generator,
            is_virtual=config.is_virtual,
        )

    def _run_child(
        self,
        func: Callable[[DurableContext], T],
        name: str | None,
        *,
        sub_type: str,
        serdes: Any = None,
        summary_generator: Callable[[Any], str] | None = None,
        is_virtual: bool = False,
    ) -> T:
        """Runs ``func`` in a child context as one CONTEXT operation (or a virtual level)."""
        identifier, counter = self._next_identifier(name)
        op_id = identifier.operation_id
        with self._replay_window(op_id, counter):
            child = self.create_child_context(op_id, is_virtual=is_virtual)
            if is_virtual:
                check_virtual_child(self.state, op_id)
                return func(child)
            executor = ChildExecutor(
                self.state,
                identifier,
                lambda: func(child),
                sub_type,
                serdes=serdes,
                summary_generator=summary_generator,
            )
            result: T = executor.execute()
            return result

    def _run_branch(
        self,
        branch_id: str,
        name: str | None,
        func: Callable[[DurableContext], T],
        *,
        sub_type: str,
        serdes: Any = None,
        is_virtual: bool = False,
    ) -> T:
        """Runs a map/parallel branch under this (batch) context with an explicit id (§11).

        Branch ids come from their index, not from the counter.
        """
        child = self.create_child_context(branch_id, is_virtual=is_virtual)
        first_id = branch_id if not is_virtual else make_operation_id(branch_id, 1)
        if not self.state.has_operation(first_id):
            # A brand-new branch starts NEW so its logs appear (§12.3).
            child._replay_status = ReplayStatus.NEW  # same class
        if is_virtual:
            check_virtual_child(self.state, branch_id)
            return func(child)
        identifier = OperationIdentifier(branch_id, self._parent_id, name)
        executor = ChildExecutor(
            self.state,
            identifier,
            lambda: func(child),
            sub_type,
            serdes=serdes,
            sync_completion=False,
        )
        result: T = executor.execute()
        return result

    def wait_for_condition(
        self,
        check: Callable[[T, WaitForConditionCheckContext], T],
        config: WaitForConditionConfig[T],
        name: str | None = None,
    ) -> T:
        """Polls ``check`` on a durable state until ``config.wait_strategy`` says stop (§4.9).

        Between checks the invocation suspends for the delay the strategy chooses; the final
        state is returned.
        """
        if not callable(check):
            raise ValidationError("wait_for_condition requires a check function")
        if not config:
            raise ValidationError("wait_for_condition requires a config")
        identifier, counter = self._next_identifier(name)
        with self._replay_window(identifier.operation_id, counter):
            executor = WaitForConditionExecutor(self.state, identifier, check, config, self._logger)
            result: T = executor.execute()
            return result

    def invoke(
        self,
        function_name: str,
        payload: Any,
        name: str | None = None,
        config: InvokeConfig[Any, Any] | None = None,
    ) -> Any:
        """Invokes another Lambda function as a chained invoke and returns its result (§4.5).

        The invocation suspends until the backend reports the target's outcome.
        """
        identifier, counter = self._next_identifier(name)
        with self._replay_window(identifier.operation_id, counter):
            return execute_invoke(
                self.state, identifier, function_name, payload, config or InvokeConfig()
            )

    def map(
        self,
        inputs: Sequence[U],
        func: Callable[[DurableContext, U, int, Sequence[U]], T],
        name: str | None = None,
        config: MapConfig[Any] | None = None,
    ) -> BatchResult[T]:
        """Runs ``func(context, item, index, inputs)`` for every input, concurrently (§4.7).

        Failed items do not raise: inspect the ``BatchResult`` or call ``throw_if_error()``.
        """
        from durable_lambda._sdk.operations.concurrency import run_map

        return run_map(self, inputs, func, _resolve_name(name, func), config)

    def parallel(
        self,
        functions: Sequence[Callable[[DurableContext], T] | ParallelBranch[T]],
        name: str | None = None,
        config: ParallelConfig | None = None,
    ) -> BatchResult[T]:
        """Runs each function as a concurrent branch with its own context (§4.8).

        Failed branches do not raise: inspect the ``BatchResult`` or call ``throw_if_error()``.
        """
        from durable_lambda._sdk.operations.concurrency import run_parallel

        return run_parallel(self, functions, name, config)


# ---------------------------------------------------------------------------------- decorators


def durable_step(
    func: Callable[Concatenate[StepContext, P], T],
) -> Callable[P, Callable[[StepContext], T]]:
    """``f(*args)`` returns a step function for ``context.step`` named after ``f``."""

    @functools.wraps(func)
    def bind(*args: P.args, **kwargs: P.kwargs) -> Callable[[StepContext], T]:
        def run(step_context: StepContext) -> T:
            return func(step_context, *args, **kwargs)

        run._original_name = func.__name__  # type: ignore[attr-defined]  # read by context.step
        return run

    return bind


def durable_with_child_context(
    func: Callable[Concatenate[DurableContext, P], T],
) -> Callable[P, Callable[[DurableContext], T]]:
    """``f(*args)`` returns a body for ``context.run_in_child_context`` named after ``f``."""

    @functools.wraps(func)
    def bind(*args: P.args, **kwargs: P.kwargs) -> Callable[[DurableContext], T]:
        def run(context: DurableContext) -> T:
            return func(context, *args, **kwargs)

        run._original_name = func.__name__  # type: ignore[attr-defined]  # read by the context
        return run

    return bind


def durable_wait_for_callback(
    func: Callable[Concatenate[str, WaitForCallbackContext, P], T],
) -> Callable[P, Callable[[str, WaitForCallbackContext], T]]:
    """``f(*args)`` returns a submitter for ``context.wait_for_callback`` named after ``f``."""

    @functools.wraps(func)
    def bind(*args: P.args, **kwargs: P.kwargs) -> Callable[[str, WaitForCallbackContext], T]:
        def run(callback_id: str, context: WaitForCallbackContext) -> T:
            return func(callback_id, context, *args, **kwargs)

        run._original_name = func.__name__  # type: ignore[attr-defined]  # read by the context
        return run

    return bind


def durable_parallel_branch(
    name: str | None = None,
) -> Callable[[Callable[Concatenate[DurableContext, P], T]], Callable[P, ParallelBranch[T]]]:
    """Decorates ``f`` so that ``f(*args)`` returns a ``ParallelBranch`` for ``parallel``.

    Without ``name`` the branch keeps the default ``parallel-branch-{i}`` name (AWS behaviour,
    sdk-spec.md §4.10).
    """
    from durable_lambda.config import ParallelBranch

    def decorate(
        func: Callable[Concatenate[DurableContext, P], T],
    ) -> Callable[P, ParallelBranch[T]]:
        @functools.wraps(func)
        def bind(*args: P.args, **kwargs: P.kwargs) -> ParallelBranch[T]:
            def run(context: DurableContext) -> T:
                return func(context, *args, **kwargs)

            return ParallelBranch(func=run, name=name)

        return bind

    return decorate
