"""Child-context executor (sdk-spec.md §4.6).

Runs ``run_in_child_context``, and wraps wait_for_callback, map and parallel. Owns the CONTEXT
protocol: async START, running the body in a child ``DurableContext``, and a sync SUCCEED (with
``ReplayChildren`` for results over 256 KiB) or FAIL.

Invariants: a SUCCEEDED context without ReplayChildren is never re-run (conformance 3-9, 3-17);
with ReplayChildren its body re-runs and its children replay, and nothing new is checkpointed
(3-11). Suspension, ``ExecutionError`` and retryable ``InvocationError`` escape without FAIL.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NoReturn

from durable_lambda._sdk.operations.base import (
    OperationIdentifier,
    build_update,
    validate_checkpoint,
)
from durable_lambda._sdk.roundtrip import round_trip_is_identity
from durable_lambda._sdk.state import ExecutionState
from durable_lambda.constants import CHECKPOINT_SIZE_LIMIT_BYTES
from durable_lambda.exceptions import (
    ChildContextError,
    ExecutionError,
    InvocationError,
    NonDeterministicExecutionError,
)
from durable_lambda.lambda_service import (
    ContextOptions,
    ErrorObject,
    OperationAction,
    OperationStatus,
    OperationType,
)
from durable_lambda.serdes import deserialize, serialize

__all__ = ["ChildExecutor", "check_virtual_child"]


@dataclass
class ChildExecutor:
    """Runs ``body`` (already bound to the child context) as CONTEXT ``identifier``."""

    state: ExecutionState
    identifier: OperationIdentifier
    body: Callable[[], Any]
    sub_type: str
    serdes: Any = None
    summary_generator: Callable[[Any], str] | None = None
    error_class: type[ChildContextError] = ChildContextError
    # Map/parallel branches complete asynchronously: the batch's own SUCCEED/FAIL is synchronous
    # and queued after them, so it cannot be acknowledged before they are, and a suspending
    # invocation flushes the queue on close. Blocking every branch thread on its own round trip
    # made a 1,000-item map start ~1,000 threads that all waited on the GIL.
    sync_completion: bool = True

    @property
    def _arn(self) -> str:
        return self.state.durable_execution_arn

    def execute(self) -> Any:
        op_id = self.identifier.operation_id
        checkpoint = self.state.get_checkpoint_result(op_id)
        validate_checkpoint(checkpoint, self.identifier, OperationType.CONTEXT, self.sub_type)
        if checkpoint is not None:
            details = checkpoint.context_details
            if checkpoint.status is OperationStatus.SUCCEEDED:
                if details is not None and details.replay_children:
                    # Result was too large to store: rebuild it by replaying the children.
                    return self.body()
                return self._deserialize(details.result if details else None)
            if checkpoint.status.is_terminal:
                raise self.error_class.from_error_object(details.error if details else None)
            # STARTED: resume the body; the START is already recorded.
        else:
            start = build_update(
                self.identifier, OperationType.CONTEXT, OperationAction.START, self.sub_type
            )
            self.state.create_checkpoint(start, is_sync=False)
        return self._run()

    def _run(self) -> Any:
        try:
            raw = self.body()
            serialized = serialize(self.serdes, raw, self.identifier.operation_id, self._arn)
            if round_trip_is_identity(self.serdes, raw) and (
                len(serialized) <= CHECKPOINT_SIZE_LIMIT_BYTES
            ):
                value = raw  # what deserializing would give back (_sdk/roundtrip.py)
            else:
                value = self._deserialize(serialized)
        except ExecutionError:
            raise
        except InvocationError as err:
            if err.is_retryable():
                raise
            self._fail(err)
        except Exception as err:  # the body failed: record it, surface ChildContextError (§4.6)
            self._fail(err)
        if serialized is not None and len(serialized) > CHECKPOINT_SIZE_LIMIT_BYTES:
            summary = self.summary_generator(raw) if self.summary_generator else ""
            self._succeed(summary or "", replay_children=True)
        else:
            self._succeed(serialized, replay_children=False)
        return value

    def _fail(self, err: Exception) -> NoReturn:
        error_object = ErrorObject.from_exception(err)
        update = build_update(
            self.identifier,
            OperationType.CONTEXT,
            OperationAction.FAIL,
            self.sub_type,
            error=error_object,
        )
        self.state.create_checkpoint(update, is_sync=self.sync_completion)
        raise self.error_class.from_error_object(error_object)

    def _succeed(self, payload: str | None, *, replay_children: bool) -> None:
        update = build_update(
            self.identifier,
            OperationType.CONTEXT,
            OperationAction.SUCCEED,
            self.sub_type,
            payload=payload,
            context_options=ContextOptions(replay_children=replay_children),
        )
        self.state.create_checkpoint(update, is_sync=self.sync_completion)

    def _deserialize(self, payload: str | None) -> Any:
        if payload is None:
            return None
        return deserialize(self.serdes, payload, self.identifier.operation_id, self._arn)


def check_virtual_child(state: ExecutionState, operation_id: str) -> None:
    """A virtual (FLAT) child never checkpoints; a checkpoint at its id means the code changed."""
    if state.get_checkpoint_result(operation_id) is not None:
        raise NonDeterministicExecutionError(
            f"Found a checkpoint at virtual child context id={operation_id!r}",
            step_id=operation_id,
        )
