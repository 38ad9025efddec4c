"""``Engine``: the durable-execution service behind the Lambda API (ARCHITECTURE.md "Engine API").

Every public method is one use case in one store transaction; effects (waking the dispatcher,
starting a chained invoke) run after commit. Bodies are Lambda wire JSON with epoch-millisecond
timestamps; failures are ``wire.errors`` exceptions.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from durable_lambda_server.engine import invocations
from durable_lambda_server.engine.checkpoint.pipeline import apply_updates
from durable_lambda_server.engine.completions import (
    apply_timer,
    complete_operation,
    finish_execution,
)
from durable_lambda_server.engine.events import ExecutionWriter, payload_details
from durable_lambda_server.engine.plumbing import NAME, TERMINAL
from durable_lambda_server.engine.queries import ExecutionQueries
from durable_lambda_server.engine.records import InvocationTicket, StartExecution, StartResult
from durable_lambda_server.engine.registry import FunctionRegistry
from durable_lambda.lambda_service import OperationUpdate
from durable_lambda_server.store.base import ExecutionRow, Transaction
from durable_lambda_server.wire.errors import (
    INVALID_CHECKPOINT_TOKEN,
    CallbackTimeoutException,
    DurableExecutionAlreadyStartedException,
    InvalidParameterValueException,
    InvalidRequestContentException,
    RequestTooLargeException,
    TooManyRequestsException,
)
from durable_lambda_server.wire.parse import (
    MAX_PAYLOAD_BYTES,
    check_checkpoint,
    parse_checkpoint_body,
    parse_error_object,
    scrub,
)

__all__ = ["Engine"]


class Engine(FunctionRegistry, ExecutionQueries):
    """``Engine(store, clock=..., ids=..., region=..., account_id=..., max_operations=25_000)``
    (constructor in ``plumbing.EngineCore``)."""

    # -- executions --------------------------------------------------------------------------
    def start_execution(
        self,
        request: StartExecution,
        *,
        parent: tuple[str, str] | None = None,
        claim_for: tuple[str, float] | None = None,
    ) -> StartResult:
        """``claim_for=(owner, lease_seconds)``: a new execution is also claimed in the same
        transaction (unless its function is at its reserved concurrency), and the ticket returned
        instead of waking the listeners (a synchronous Invoke runs it on its own thread)."""
        function = self.get_function(request.function_name, request.qualifier)
        payload = request.input_payload
        if payload is not None and payload.strip():
            if len(payload.encode()) > 6 * 1024 * 1024:
                raise RequestTooLargeException(
                    "Request must be smaller than 6291456 bytes for the Invoke operation"
                )
            try:
                json.loads(payload)
            except json.JSONDecodeError as err:
                raise InvalidRequestContentException(
                    f"Could not parse request body into json: Could not parse payload into json: {err.msg}"
                ) from err
        name = request.execution_name or self.ids.execution_id()
        if not NAME.match(name):
            raise InvalidParameterValueException(
                "DurableExecutionName must be 1-64 characters of [a-zA-Z0-9-_]"
            )
        now = self.clock.now_ms()
        execution_id = request.execution_id or self.ids.execution_id()
        arn = f"{function.function_arn}:{function.version}/durable-execution/{name}/{execution_id}"
        timeout = request.execution_timeout_seconds or function.execution_timeout_seconds
        with self._tx() as tx:
            if request.synchronous:
                _check_throttle(tx, function.name, function.durable)
            existing = tx.find_execution(function.name, name) if function.durable else None
            if existing is not None:
                if existing.input_payload == payload:
                    return StartResult(existing.arn, False, existing.version, True)
                raise DurableExecutionAlreadyStartedException(
                    f"Durable execution with name {name} already exists with a different input"
                )
            row = invocations.new_execution_row(
                arn=arn,
                function=function,
                name=name,
                execution_id=execution_id,
                payload=payload,
                now=now,
                timeout=timeout,
                qualifier=function.version,
                parent=parent,
            )
            tx.insert_execution(row)
            w = ExecutionWriter(tx, row, now, self.ids)
            op = {
                "Id": execution_id,
                "Type": "EXECUTION",
                "Status": "STARTED",
                "StartTimestamp": now,
                "Name": name,
                "ExecutionDetails": {"InputPayload": payload} if payload is not None else {},
            }
            w.put_op(op, new=True)
            w.event(
                "ExecutionStarted",
                {"Input": payload_details(payload), "ExecutionTimeout": timeout},
                op,
            )
            tx.schedule_timer(arn, "", "execution_timeout", now + timeout * 1000)
            w.flush()
            ticket = None
            if claim_for is not None and function.name not in tx.functions_at_concurrency_limit(
                now
            ):
                inserted = tx.get_execution(arn)
                assert inserted is not None  # inserted above, in this transaction
                ticket, _ = invocations.claim(
                    tx, inserted, claim_for[0], claim_for[1], now, self.ids
                )
        if ticket is None:
            self._notify()
        return StartResult(arn, True, function.version, function.durable, ticket)

    def stop_execution(self, arn: str, error: dict[str, Any] | None = None) -> dict[str, Any]:
        err = (
            parse_error_object(error)
            if error is not None
            else {"ErrorType": "Execution.Stopped", "ErrorMessage": "Execution stopped"}
        )
        with self._tx() as tx:
            ex = self._require(tx, arn)
            if ex.status == "STOPPED":
                return {"StopTimestamp": ex.end_ms}
            if ex.status in TERMINAL:
                raise InvalidParameterValueException(
                    f"Durable execution is already {ex.status}: {arn}"
                )
            w = ExecutionWriter(tx, ex, self.clock.now_ms(), self.ids)
            finish_execution(w, "STOPPED", error=err)
            w.changes.update({"lease_token": None, "lease_owner": None, "lease_expires_ms": None})
            w.flush()
        self._after(w, arn)
        return {"StopTimestamp": w.now}

    # -- checkpoint --------------------------------------------------------------------------
    def checkpoint(self, arn: str, body: dict[str, Any]) -> dict[str, Any]:
        token, updates, client_token = parse_checkpoint_body(body)
        return self._checkpoint(arn, token, updates, client_token)

    def checkpoint_updates(
        self,
        arn: str,
        token: str,
        updates: Sequence[OperationUpdate],
        client_token: str | None = None,
    ) -> dict[str, Any]:
        """``checkpoint`` for in-process callers holding ``OperationUpdate`` objects (the thread
        invoker's SDK): checked by the same rules, without building and parsing the wire body."""
        token, checked, client_token = check_checkpoint(token, updates, client_token)
        return self._checkpoint(arn, token, checked, client_token)

    def _checkpoint(
        self, arn: str, token: str, updates: list[OperationUpdate], client_token: str | None
    ) -> dict[str, Any]:
        with self._tx() as tx:
            # Without its input, result and error: a checkpoint never reads them (migration 0007).
            ex = tx.get_execution(arn, payloads=False) if isinstance(arn, str) else None
            if ex is None:
                raise InvalidParameterValueException(
                    f"{INVALID_CHECKPOINT_TOKEN}: unknown durable execution"
                )
            if (
                client_token
                and ex.last_client_token == client_token
                and ex.last_request_token == token
                and ex.last_response
            ):
                return json.loads(ex.last_response)  # type: ignore[no-any-return]
            if (
                ex.status != "RUNNING"
                or ex.checkpoint_token is None
                or ex.checkpoint_token != token
                or ex.pending_outcome
            ):
                raise InvalidParameterValueException(
                    f"{INVALID_CHECKPOINT_TOKEN}: the token is stale or does not belong to a running invocation"
                )
            w = ExecutionWriter(tx, ex, self.clock.now_ms(), self.ids, seen=True)
            apply_updates(w, updates)
            if w.op_seq > self.max_operations:  # raised before flush: the transaction rolls back
                raise InvalidParameterValueException(
                    f"Checkpoint rejected: the durable execution would hold {w.op_seq} operations, more "
                    f"than the limit of {self.max_operations} operations per execution"
                )
            completed = "pending_outcome" in w.changes
            new_token = None if completed else self.ids.token()
            # What the handler has not seen: service-side changes since its last look (read from
            # the store, only when there are any) plus what this checkpoint just wrote (already
            # in hand, so not re-read and re-decoded).
            written = w.written_ops
            ops = [
                op
                for op in (
                    tx.operations_changed_since(arn, ex.seen_seq, upto=ex.change_seq)
                    if ex.change_seq > ex.seen_seq
                    else []
                )
                if op["Id"] not in written
            ]
            ops += list(written.values())
            response: dict[str, Any] = {"NewExecutionState": {"Operations": ops}}
            if new_token is not None:
                response["CheckpointToken"] = new_token
            w.changes.update(
                {
                    "checkpoint_token": new_token,
                    "seen_seq": w.change_seq,
                    "last_request_token": token,
                    "last_client_token": client_token,
                    "last_response": json.dumps(response) if client_token else None,
                }
            )
            w.flush()
        # A checkpoint makes no execution runnable by itself (its own is running); only its
        # effects may (a chained invoke's start, a child's outcome). Not waking the dispatcher on
        # every step keeps it off the checkpoint path; timers a checkpoint schedules are at least
        # 1 s ahead and the dispatcher re-reads the next timer at least once a second while
        # invocations run.
        self._after(w, arn, notify=bool(w.effects))
        return response

    # -- callbacks ---------------------------------------------------------------------------
    def _callback_op(
        self, tx: Transaction, callback_id: Any
    ) -> tuple[ExecutionRow, dict[str, Any]]:
        if not isinstance(callback_id, str) or not callback_id:
            raise InvalidParameterValueException("CallbackId is required")
        found = tx.get_callback(callback_id)
        if found is None:
            raise InvalidParameterValueException("Invalid callback id")
        arn, op_id, _ = found
        ex = tx.get_execution(arn)
        op = tx.get_operations(arn, [op_id]).get(op_id)
        if ex is None or op is None or ex.status != "RUNNING" or op["Status"] != "STARTED":
            state = op["Status"] if op else "closed"
            raise CallbackTimeoutException(f"Callback {callback_id} is already {state}")
        return ex, op

    def send_callback_success(self, callback_id: str, result: bytes | None = None) -> None:
        if result is not None and len(result) > MAX_PAYLOAD_BYTES:
            raise RequestTooLargeException(
                f"Callback result is larger than {MAX_PAYLOAD_BYTES} bytes"
            )
        try:
            text = result.decode("utf-8") if result is not None else None
        except UnicodeDecodeError as err:
            raise InvalidParameterValueException("Callback result must be UTF-8") from err
        with self._tx() as tx:
            ex, op = self._callback_op(tx, callback_id)
            w = ExecutionWriter(tx, ex, self.clock.now_ms(), self.ids)
            complete_operation(
                w, op, "SUCCEEDED", "CallbackSucceeded", details_key="CallbackDetails", result=text
            )
            w.flush()
        self._after(w, ex.arn)

    def send_callback_failure(self, callback_id: str, error: dict[str, Any] | None = None) -> None:
        err = parse_error_object(error) if error is not None else {}
        with self._tx() as tx:
            ex, op = self._callback_op(tx, callback_id)
            w = ExecutionWriter(tx, ex, self.clock.now_ms(), self.ids)
            complete_operation(
                w, op, "FAILED", "CallbackFailed", details_key="CallbackDetails", error=err
            )
            w.flush()
        self._after(w, ex.arn)

    def send_callback_heartbeat(self, callback_id: str) -> None:
        with self._tx() as tx:
            ex, op = self._callback_op(tx, callback_id)
            found = tx.get_callback(callback_id)
            heartbeat = found.heartbeat_seconds if found is not None else 0
            if heartbeat > 0:
                tx.schedule_timer(
                    ex.arn, op["Id"], "callback_heartbeat", self.clock.now_ms() + heartbeat * 1000
                )

    # -- timers ------------------------------------------------------------------------------
    def fire_due_timers(self, limit: int = 100) -> int:
        now = self.clock.now_ms()
        with self._read() as tx:
            due = tx.due_timers(now, limit)
        fired = 0
        for timer in due:
            with self._tx() as tx:
                # Re-read under the write lock: a heartbeat may have moved the timer, a callback
                # answer or another dispatcher may have removed it since the due list was read.
                due_ms = tx.timer_due_ms(timer.arn, timer.op_id, timer.kind)
                if due_ms is None or due_ms > now:
                    continue
                ex = tx.get_execution(timer.arn)
                if ex is None or ex.status != "RUNNING":
                    tx.cancel_timers(timer.arn, timer.op_id, [timer.kind])
                    continue
                w = ExecutionWriter(tx, ex, now, self.ids)
                apply_timer(w, timer)
                w.flush()
            fired += 1
            self._after(w, timer.arn, notify=False)
        if fired:
            self._notify()
        return fired

    # -- invocations -------------------------------------------------------------------------
    def claim_invocation(
        self, owner: str, lease_seconds: float, arn: str | None = None
    ) -> InvocationTicket | None:
        """Leases the oldest runnable execution whose function is below its reserved concurrency.

        An expired lease found on the way is recorded as a failed attempt; if that attempt's
        retry waits (or its execution failed), the next runnable execution is looked at."""
        while True:
            with self._tx() as tx:
                now = self.clock.now_ms()
                at_limit = tx.functions_at_concurrency_limit(now)
                ex = tx.claimable_execution(now, arn, exclude_functions=at_limit)
                if ex is None:
                    return None
                ticket, w = invocations.claim(tx, ex, owner, lease_seconds, now, self.ids)
            if ticket is not None:
                return ticket
            self._after(w, ex.arn)

    def delete_expired_executions(self, limit: int = 100) -> int:
        """Retention: deletes up to ``limit`` executions that finished more than their
        ``RetentionPeriodInDays`` ago (row, operations, history, timers, callbacks). Running
        executions are never touched. Returns how many were deleted."""
        with self._tx() as tx:
            arns = tx.expired_executions(self.clock.now_ms(), limit)
            if arns:
                tx.delete_executions(arns)
        return len(arns)

    def complete_invocation(
        self,
        ticket: InvocationTicket,
        *,
        output: Any = None,
        error: dict[str, Any] | None = None,
        started_ms: int | None = None,
        ended_ms: int | None = None,
        on_terminal: Callable[[dict[str, Any]], None] | None = None,
    ) -> bool:
        """``on_terminal``: called after the commit with what ``get_execution`` would return now,
        when this completion finished the execution (a synchronous Invoke skips re-reading it)."""
        summary = None
        with self._tx() as tx:
            w = self._complete_in(tx, ticket, output, error, started_ms, ended_ms)
            if w is None:
                return False  # fenced: a newer attempt owns the execution
            if on_terminal is not None:
                after = tx.get_execution(ticket.arn)
                if after is not None and after.status in TERMINAL:
                    summary = invocations.execution_summary(after, full=True)
        if summary is not None and on_terminal is not None:
            on_terminal(summary)
        self._after(w, ticket.arn)
        return True

    def complete_and_claim(
        self,
        ticket: InvocationTicket,
        owner: str,
        lease_seconds: float,
        *,
        output: Any = None,
        error: dict[str, Any] | None = None,
        started_ms: int | None = None,
        ended_ms: int | None = None,
    ) -> InvocationTicket | None:
        """``complete_invocation`` and ``claim_invocation`` in one transaction: the dispatcher
        thread that ran an invocation records it and takes the next runnable one in one commit
        (a fenced completion records nothing but still claims). Returns the new ticket, if any."""
        claimed: tuple[InvocationTicket | None, ExecutionWriter] | None = None
        with self._tx() as tx:
            w = self._complete_in(tx, ticket, output, error, started_ms, ended_ms)
            now = self.clock.now_ms()
            ex = tx.claimable_execution(
                now, None, exclude_functions=tx.functions_at_concurrency_limit(now)
            )
            if ex is not None:
                claimed = invocations.claim(tx, ex, owner, lease_seconds, now, self.ids)
        if w is not None:
            self._after(w, ticket.arn, notify=False)
        if claimed is not None and claimed[0] is None:  # an expired lease recorded, nothing to run
            self._after(claimed[1], claimed[1].ex.arn, notify=False)
        self._notify()
        return claimed[0] if claimed is not None else None

    def _complete_in(
        self,
        tx: Transaction,
        ticket: InvocationTicket,
        output: Any,
        error: dict[str, Any] | None,
        started_ms: int | None,
        ended_ms: int | None,
    ) -> ExecutionWriter | None:
        """Records an invocation's outcome in ``tx``; None when fenced off (a newer lease)."""
        ex = tx.get_execution(ticket.arn)
        if ex is None or ex.lease_token != ticket.lease_token:
            return None
        w = ExecutionWriter(tx, ex, self.clock.now_ms(), self.ids)
        invocations.complete(w, ticket, scrub(output), scrub(error), started_ms, ended_ms)
        w.flush()
        return w

    def renew_lease(self, ticket: InvocationTicket, lease_seconds: float) -> bool:
        """Extends a running invocation's lease (its heartbeat); False if it was fenced off."""
        with self._tx() as tx:
            ex = tx.get_execution(ticket.arn)
            if ex is None or ex.lease_token != ticket.lease_token or ex.status != "RUNNING":
                return False
            tx.update_execution(
                ticket.arn, {"lease_expires_ms": self.clock.now_ms() + int(lease_seconds * 1000)}
            )
            return True

    def release_leases(self, arn: str) -> None:
        """Expires the lease on ``arn`` now (an operator resuming after a crash)."""
        with self._tx() as tx:
            ex = self._require(tx, arn)
            if ex.lease_token is not None:
                tx.update_execution(arn, {"lease_expires_ms": self.clock.now_ms()})

    def release_dead_leases(
        self, owner_is_dead: Callable[[str], bool], *, forgive: Callable[[str], bool] | None = None
    ) -> list[str]:
        """Ends now every live lease whose owner ``owner_is_dead`` proves gone (a runtime
        restarting after a crash); returns the ARNs, which the next claims re-dispatch. An
        owner ``forgive`` accepts (its handlers could not have killed it) has its lost attempts
        recorded without charging the retry budget; the others expire as if timed out."""
        released: list[str] = []
        with self._tx() as tx:
            now = self.clock.now_ms()
            for ex in tx.list_executions(statuses=["RUNNING"]):
                if ex.lease_token is None or (ex.lease_expires_ms or 0) <= now:
                    continue
                if not ex.lease_owner or not owner_is_dead(ex.lease_owner):
                    continue
                if forgive is not None and forgive(ex.lease_owner):
                    w = ExecutionWriter(tx, ex, now, self.ids)
                    invocations.record_runtime_death(w)
                    w.flush()
                else:
                    tx.update_execution(ex.arn, {"lease_expires_ms": now})
                released.append(ex.arn)
        if released:
            self._notify()
        return released

    # -- effects -----------------------------------------------------------------------------
    def _after(self, w: ExecutionWriter, arn: str, *, notify: bool = True) -> None:
        for kind, info in w.effects:
            if kind == "invoke":
                invocations.start_chained_invoke(self, arn, info)
            elif kind == "child_finished":
                invocations.finish_chained_invoke(self, w.ex, info)
        if notify:
            self._notify()


def _check_throttle(tx: Transaction, function_name: str, durable: bool) -> None:
    """A synchronous Invoke beyond the function's reserved concurrency is throttled (429): with 0
    always; for a plain function when that many invocations are already running or queued
    (durable executions queue instead: the dispatcher starts them as slots free up)."""
    reserved = tx.get_reserved_concurrency(function_name)
    if reserved is None:
        return
    if reserved == 0 or (not durable and tx.count_running(function_name) >= reserved):
        raise TooManyRequestsException(
            "Rate Exceeded.", Reason="ReservedFunctionConcurrentInvocationLimitExceeded"
        )
