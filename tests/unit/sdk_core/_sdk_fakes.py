"""An in-memory ``DurableServiceClient`` modelling the backend just enough to drive the SDK.

It applies updates the way the service does (sdk-spec.md §20), rotates checkpoint tokens,
assigns CallbackIds, records every checkpoint request, and lets a test fire what the service
would do between invocations: finish waits, make step retries READY, complete callbacks and
invokes. ``run`` re-invokes the handler until the execution ends or nothing can advance.
"""

from __future__ import annotations

import datetime
import json
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any

from durable_lambda.execution import (
    DurableExecutionInvocationInputWithClient,
    InitialExecutionState,
)
from durable_lambda.lambda_service import (
    CallbackDetails,
    ChainedInvokeDetails,
    CheckpointOutput,
    CheckpointUpdatedExecutionState,
    ContextDetails,
    ErrorObject,
    ExecutionDetails,
    Operation,
    OperationAction,
    OperationStatus,
    OperationType,
    OperationUpdate,
    StateOutput,
    StepDetails,
    WaitDetails,
)

ARN = "arn:aws:lambda:us-east-1:123456789012:function:orders:$LATEST/durable-execution/ex-1/inv-1"
EXECUTION_ID = "inv-1"

Handler = Callable[[Any, Any], dict[str, Any]]


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


class FakeBackend:
    """One execution's operations plus the checkpoint API over them."""

    def __init__(self, input_payload: Any = None, *, raw_input: str | None = None) -> None:
        payload = raw_input if raw_input is not None else json.dumps(input_payload)
        self.operations: dict[str, Operation] = {
            EXECUTION_ID: Operation(
                operation_id=EXECUTION_ID,
                operation_type=OperationType.EXECUTION,
                status=OperationStatus.STARTED,
                start_timestamp=_now(),
                execution_details=ExecutionDetails(payload),
            )
        }
        self.token_seq = 0
        self.requests: list[list[OperationUpdate]] = []
        self.outputs: list[dict[str, Any]] = []
        self.execution_updates: list[OperationUpdate] = []
        self.revoke_on_request: int | None = None
        self.fail_on_request: Exception | None = None
        self._callbacks = 0
        self.senders: list[int] = []  # the thread that sent each checkpoint request
        self.sent = threading.Event()  # set after the first checkpoint request

    # ------------------------------------------------------------------ DurableServiceClient

    def checkpoint(
        self,
        durable_execution_arn: str,
        checkpoint_token: str,
        updates: Sequence[OperationUpdate],
        client_token: str | None = None,
    ) -> CheckpointOutput:
        assert durable_execution_arn == ARN
        self.senders.append(threading.get_ident())
        self.sent.set()
        assert checkpoint_token == f"tok-{self.token_seq}", "stale checkpoint token"
        if self.fail_on_request is not None:
            raise self.fail_on_request
        self.requests.append(list(updates))
        changed = [self._apply(update) for update in updates]
        if self.revoke_on_request == len(self.requests):
            return CheckpointOutput(None, CheckpointUpdatedExecutionState(changed))
        if any(u.operation_type is OperationType.EXECUTION for u in updates):
            return CheckpointOutput(None, CheckpointUpdatedExecutionState(changed))
        self.token_seq += 1
        return CheckpointOutput(f"tok-{self.token_seq}", CheckpointUpdatedExecutionState(changed))

    def get_execution_state(
        self,
        durable_execution_arn: str,
        checkpoint_token: str,
        next_marker: str | None = None,
        max_items: int = 1000,
    ) -> StateOutput:
        ops = list(self.operations.values())
        start = int(next_marker or 0)
        page = ops[start : start + max_items]
        more = start + max_items < len(ops)
        return StateOutput(page, str(start + max_items) if more else None)

    # ------------------------------------------------------------------ applying updates

    def _apply(self, u: OperationUpdate) -> Operation:
        if u.operation_type is OperationType.EXECUTION:
            self.execution_updates.append(u)
            return self.operations[EXECUTION_ID]
        current = self.operations.get(u.operation_id)
        if current is None:
            assert u.action is OperationAction.START, f"{u.action} on unknown operation"
            current = Operation(
                operation_id=u.operation_id,
                operation_type=u.operation_type,
                status=OperationStatus.STARTED,
                parent_id=u.parent_id,
                name=u.name,
                sub_type=u.sub_type,
                start_timestamp=_now(),
            )
        new = self._transition(current, u)
        self.operations[u.operation_id] = new
        return new

    def _transition(self, op: Operation, u: OperationUpdate) -> Operation:
        kind, action = u.operation_type, u.action
        if kind is OperationType.STEP:
            return self._step(op, u)
        if kind is OperationType.WAIT:
            end = _now() + datetime.timedelta(seconds=u.wait_options.wait_seconds)  # type: ignore[union-attr]
            return replace(op, wait_details=WaitDetails(end))
        if kind is OperationType.CALLBACK:
            self._callbacks += 1
            return replace(op, callback_details=CallbackDetails(f"cb-{self._callbacks}"))
        if kind is OperationType.CHAINED_INVOKE:
            return replace(op, chained_invoke_details=ChainedInvokeDetails())
        if action is OperationAction.START:
            return op
        replay = bool(u.context_options and u.context_options.replay_children)
        status = (
            OperationStatus.SUCCEEDED
            if action is OperationAction.SUCCEED
            else OperationStatus.FAILED
        )
        details = ContextDetails(replay_children=replay, result=u.payload, error=u.error)
        return replace(op, status=status, context_details=details, end_timestamp=_now())

    def _step(self, op: Operation, u: OperationUpdate) -> Operation:
        details = op.step_details or StepDetails()
        if u.action is OperationAction.START:
            return replace(op, status=OperationStatus.STARTED, step_details=details)
        attempt = details.attempt + 1
        if u.action is OperationAction.RETRY:
            delay = u.step_options.next_attempt_delay_seconds  # type: ignore[union-attr]
            new = StepDetails(
                attempt, _now() + datetime.timedelta(seconds=delay), u.payload, u.error
            )
            return replace(op, status=OperationStatus.PENDING, step_details=new)
        status = (
            OperationStatus.SUCCEEDED
            if u.action is OperationAction.SUCCEED
            else OperationStatus.FAILED
        )
        new = StepDetails(attempt, None, u.payload, u.error)
        return replace(op, status=status, step_details=new, end_timestamp=_now())

    # ------------------------------------------------------------------ service-side progress

    def advance(self) -> bool:
        """Finishes every started wait and readies every pending retry; True if anything moved."""
        moved = False
        for op_id, op in list(self.operations.items()):
            if op.operation_type is OperationType.WAIT and op.status is OperationStatus.STARTED:
                self.operations[op_id] = replace(op, status=OperationStatus.SUCCEEDED)
                moved = True
            elif op.status is OperationStatus.PENDING:
                self.operations[op_id] = replace(op, status=OperationStatus.READY)
                moved = True
        return moved

    def callback(self, callback_id: str) -> Operation:
        for op in self.operations.values():
            if op.callback_details and op.callback_details.callback_id == callback_id:
                return op
        raise KeyError(callback_id)

    def complete_callback(
        self,
        callback_id: str,
        *,
        result: str | None = None,
        error: ErrorObject | None = None,
        status: OperationStatus | None = None,
    ) -> None:
        op = self.callback(callback_id)
        final = status or (OperationStatus.FAILED if error else OperationStatus.SUCCEEDED)
        details = CallbackDetails(callback_id, result, error)
        self.operations[op.operation_id] = replace(op, status=final, callback_details=details)

    def complete_invoke(
        self, operation_id: str, *, result: str | None = None, error: ErrorObject | None = None
    ) -> None:
        op = self.operations[operation_id]
        status = OperationStatus.FAILED if error else OperationStatus.SUCCEEDED
        details = ChainedInvokeDetails(result, error)
        self.operations[operation_id] = replace(op, status=status, chained_invoke_details=details)

    # ------------------------------------------------------------------ invoking

    def event(self, *, page_size: int | None = None) -> DurableExecutionInvocationInputWithClient:
        ops = list(self.operations.values())
        marker = ""
        if page_size is not None and len(ops) > page_size:
            ops, marker = ops[:page_size], str(page_size)
        return DurableExecutionInvocationInputWithClient(
            durable_execution_arn=ARN,
            checkpoint_token=f"tok-{self.token_seq}",
            initial_execution_state=InitialExecutionState(ops, marker),
            service_client=self,
        )

    def invoke(self, handler: Handler, **kwargs: Any) -> dict[str, Any]:
        output = handler(self.event(**kwargs), None)
        self.outputs.append(output)
        return output

    def run(self, handler: Handler, max_invocations: int = 20) -> dict[str, Any]:
        """Invokes until SUCCEEDED/FAILED, or until a PENDING execution cannot advance."""
        output: dict[str, Any] = {}
        for _ in range(max_invocations):
            output = self.invoke(handler)
            if output["Status"] != "PENDING" or not self.advance():
                return output
        return output

    # ------------------------------------------------------------------ assertions helpers

    @property
    def updates(self) -> list[OperationUpdate]:
        return [u for request in self.requests for u in request]

    def actions(self) -> list[tuple[str, str, str | None]]:
        """(Type, Action, Name) of every update sent, in order."""
        return [(str(u.operation_type), str(u.action), u.name) for u in self.updates]

    def by_name(self, name: str) -> Operation:
        matches = [op for op in self.operations.values() if op.name == name]
        assert len(matches) == 1, f"{len(matches)} operations named {name!r}"
        return matches[0]


def make_state(backend: FakeBackend, **config: float) -> Any:
    """A started ``ExecutionState`` over ``backend`` with the given batcher limits."""
    from durable_lambda._sdk.state import CheckpointBatcherConfig, ExecutionState

    state = ExecutionState(
        ARN, "tok-0", dict(backend.operations), backend, CheckpointBatcherConfig(**config)
    )  # type: ignore[arg-type]
    state.start()
    return state


def step_update(op_id: str, action: OperationAction, parent: str | None = None) -> OperationUpdate:
    return OperationUpdate(op_id, OperationType.STEP, action, parent_id=parent, sub_type="Step")
