"""``Engine``: the durable-execution service behind the Lambda API (ARCHITECTURE.md "Engine API").

Every public method is one use case in one store transaction; effects (waking the dispatcher,
starting a chained invoke) run after commit. Bodies are Lambda wire JSON with epoch-millisecond
timestamps; failures are ``wire.errors`` exceptions.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from typing import Any

from durable_lambda.engine import functions, invocations
from durable_lambda.engine.boundary import MAX_PAGE, clamp_ms, parse_marker, translated
from durable_lambda.engine.checkpoint.pipeline import apply_updates
from durable_lambda.engine.clock import Clock, SystemClock
from durable_lambda.engine.completions import apply_timer, complete_operation, finish_execution
from durable_lambda.engine.events import ExecutionWriter, payload_details
from durable_lambda.engine.ids import IdSource
from durable_lambda.engine.records import FunctionRecord, InvocationTicket, StartExecution, StartResult
from durable_lambda.store.base import ExecutionRow, Store
from durable_lambda.wire.errors import (
    INVALID_CHECKPOINT_TOKEN,
    CallbackTimeoutException,
    DurableExecutionAlreadyStartedException,
    InvalidParameterValueException,
    InvalidRequestContentException,
    RequestTooLargeException,
    ResourceNotFoundException,
)
from durable_lambda.wire.parse import MAX_PAYLOAD_BYTES, parse_checkpoint_body, parse_error_object, scrub

__all__ = ["Engine"]

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
_STATE_PAGE = 1000
TERMINAL = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "STOPPED"})


class Engine:
    def __init__(
        self,
        store: Store,
        *,
        clock: Clock | None = None,
        ids: IdSource | None = None,
        region: str = "us-east-1",
        account_id: str = "000000000000",
    ) -> None:
        self.store = store
        self.clock: Any = clock or SystemClock()
        self.ids = ids or IdSource()
        self.region = region
        self.account_id = account_id
        self._listeners: list[Callable[[], None]] = []
        self._lock = threading.Lock()

    # -- plumbing ----------------------------------------------------------------------------
    def add_listener(self, listener: Callable[[], None]) -> None:
        """Called after commits that may make an execution runnable."""
        self._listeners.append(listener)

    def _notify(self) -> None:
        for listener in list(self._listeners):
            listener()

    def close(self) -> None:
        self.store.close()

    def function_arn(self, name: str) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account_id}:function:{name}"

    def _tx(self) -> Any:
        return translated(self.store.transaction())

    def _read(self) -> Any:
        """A read-only transaction: in WAL mode it never waits for a writer."""
        return translated(self.store.transaction(write=False))

    # -- functions ---------------------------------------------------------------------------
    def put_function(self, record: FunctionRecord) -> None:
        if not _NAME.match(record.name):
            raise InvalidParameterValueException(f"invalid function name {record.name!r}")
        with self._tx() as tx:
            tx.put_function(record.name, record.handler, json.dumps(record.config_dict()), self.clock.now_ms())

    def get_function(self, name: str, qualifier: str | None = None) -> FunctionRecord:
        """The function at ``qualifier`` ($LATEST, a version or an alias); accepts ARNs and name:qualifier."""
        base, inline = functions.parse_function_ref(name)
        wanted = qualifier or inline
        if wanted is not None and wanted.isdigit() and len(wanted) > 19:
            # No such version; int() of a 4300+ digit string would raise ValueError.
            raise ResourceNotFoundException(f"Function not found: {self.function_arn(base)}:{wanted[:32]}")
        with self._read() as tx:
            return functions.resolve_function(tx, base, wanted, self.function_arn(base), self.ids)

    def list_functions(self) -> list[FunctionRecord]:
        """``$LATEST`` of every function, by name."""
        with self._read() as tx:
            rows = tx.list_functions()
        return [functions.record_from_row(n, h, c, self.function_arn(n), "$LATEST") for n, h, c in rows]

    def delete_function(self, name: str) -> None:
        """Deletes a function with its versions and aliases; its executions stay readable."""
        with self._tx() as tx:
            if not tx.delete_function(name):
                raise ResourceNotFoundException(f"Function not found: {self.function_arn(name)}")

    def publish_version(self, name: str) -> FunctionRecord:
        with self._tx() as tx:
            row = tx.get_function(name)
            if row is None:
                raise ResourceNotFoundException(f"Function not found: {self.function_arn(name)}")
            version = tx.publish_version(name, row[1], row[2], self.clock.now_ms())
        return self.get_function(name, str(version))

    def list_versions(self, name: str) -> list[FunctionRecord]:
        with self._read() as tx:
            latest = tx.get_function(name)
            if latest is None:
                raise ResourceNotFoundException(f"Function not found: {self.function_arn(name)}")
            rows = tx.list_versions(name)
        arn = self.function_arn(name)
        out = [functions.record_from_row(name, latest[1], latest[2], arn, "$LATEST")]
        out += [functions.record_from_row(name, h, c, arn, str(v)) for v, h, c in rows]
        return out

    def put_alias(
        self, name: str, alias: str, version: str, *, routing: dict[str, float] | None = None, description: str = ""
    ) -> dict[str, Any]:
        with self._tx() as tx:
            return functions.create_or_update_alias(tx, name, alias, version, routing=routing, description=description)

    def get_alias(self, name: str, alias: str) -> dict[str, Any]:
        with self._read() as tx:
            row = tx.get_alias(name, alias)
        if row is None:
            raise ResourceNotFoundException(f"Alias not found: {self.function_arn(name)}:{alias}")
        return {"Name": alias, "FunctionVersion": row[0], "Description": row[2],
                "RoutingConfig": {"AdditionalVersionWeights": json.loads(row[1])}}

    def delete_alias(self, name: str, alias: str) -> None:
        with self._tx() as tx:
            if not tx.delete_alias(name, alias):
                raise ResourceNotFoundException(f"Alias not found: {self.function_arn(name)}:{alias}")

    def list_aliases(self, name: str) -> list[dict[str, Any]]:
        with self._read() as tx:
            rows = tx.list_aliases(name)
        return [{"Name": a, "FunctionVersion": v, "Description": d,
                 "RoutingConfig": {"AdditionalVersionWeights": json.loads(r)}} for a, v, r, d in rows]

    # API-facing registry changes: each one transaction with its checks (engine/functions.py).
    def create_function(self, record: FunctionRecord) -> None:
        """CreateFunction: like ``put_function`` but a taken name is a 409."""
        if not _NAME.match(record.name):
            raise InvalidParameterValueException(f"invalid function name {record.name!r}")
        with self._tx() as tx:
            functions.insert_function(tx, record, self.clock.now_ms())

    def update_function(
        self, name: str, change: Callable[[FunctionRecord], FunctionRecord], revision_id: str | None = None
    ) -> FunctionRecord:
        with self._tx() as tx:
            return functions.update_function(tx, name, change, function_arn=self.function_arn(name),
                                             now_ms=self.clock.now_ms(), revision_id=revision_id)

    def publish_function_version(self, name: str, **preconditions: Any) -> FunctionRecord:
        """PublishVersion (``description``, ``code_sha256``, ``revision_id``); unchanged -> newest."""
        with self._tx() as tx:
            return functions.publish(tx, name, function_arn=self.function_arn(name),
                                     now_ms=self.clock.now_ms(), **preconditions)

    def delete_function_version(self, name: str, qualifier: str) -> None:
        with self._tx() as tx:
            functions.delete_version(tx, name, qualifier, function_arn=self.function_arn(name))

    def create_alias(self, name: str, alias: str, version: str, **fields: Any) -> dict[str, Any]:
        with self._tx() as tx:
            return functions.create_alias(tx, name, alias, version, function_arn=self.function_arn(name), **fields)

    def update_alias(self, name: str, alias: str, **fields: Any) -> dict[str, Any]:
        with self._tx() as tx:
            return functions.update_alias(tx, name, alias, function_arn=self.function_arn(name), **fields)

    # -- executions --------------------------------------------------------------------------
    def start_execution(self, request: StartExecution, *, parent: tuple[str, str] | None = None) -> StartResult:
        function = self.get_function(request.function_name, request.qualifier)
        payload = request.input_payload
        if payload is not None and payload.strip():
            if len(payload.encode()) > 6 * 1024 * 1024:
                raise RequestTooLargeException("Request must be smaller than 6291456 bytes for the Invoke operation")
            try:
                json.loads(payload)
            except json.JSONDecodeError as err:
                raise InvalidRequestContentException(
                    f"Could not parse request body into json: Could not parse payload into json: {err.msg}"
                ) from err
        name = request.execution_name or self.ids.execution_id()
        if not _NAME.match(name):
            raise InvalidParameterValueException("DurableExecutionName must be 1-64 characters of [a-zA-Z0-9-_]")
        now = self.clock.now_ms()
        execution_id = request.execution_id or self.ids.execution_id()
        arn = f"{function.function_arn}:{function.version}/durable-execution/{name}/{execution_id}"
        timeout = request.execution_timeout_seconds or function.execution_timeout_seconds
        with self._tx() as tx:
            existing = tx.find_execution(function.name, name) if function.durable else None
            if existing is not None:
                if existing.input_payload == payload:
                    return StartResult(existing.arn, False)
                raise DurableExecutionAlreadyStartedException(
                    f"Durable execution with name {name} already exists with a different input"
                )
            row = invocations.new_execution_row(
                arn=arn, function=function, name=name, execution_id=execution_id,
                payload=payload, now=now, timeout=timeout, qualifier=function.version, parent=parent,
            )
            tx.insert_execution(row)
            w = ExecutionWriter(tx, row, now, self.ids)
            op = {
                "Id": execution_id, "Type": "EXECUTION", "Status": "STARTED", "StartTimestamp": now,
                "Name": name, "ExecutionDetails": {"InputPayload": payload} if payload is not None else {},
            }
            w.put_op(op, new=True)
            w.event("ExecutionStarted", {"Input": payload_details(payload), "ExecutionTimeout": timeout}, op)
            tx.schedule_timer(arn, "", "execution_timeout", now + timeout * 1000)
            w.flush()
        self._notify()
        return StartResult(arn, True)

    def _require(self, tx: Any, arn: str) -> ExecutionRow:
        if not isinstance(arn, str):
            raise InvalidParameterValueException("DurableExecutionArn must be a string")
        ex = tx.get_execution(arn)
        if ex is None:
            raise ResourceNotFoundException(f"Durable execution not found: {arn}")
        return ex  # type: ignore[no-any-return]

    def get_execution(self, arn: str) -> dict[str, Any]:
        with self._read() as tx:
            ex = self._require(tx, arn)
        return invocations.execution_summary(ex, full=True)

    def list_executions(
        self,
        function_name: str | None = None,
        *,
        statuses: list[str] | None = None,
        name: str | None = None,
        started_after: int | None = None,
        started_before: int | None = None,
        marker: str | None = None,
        max_items: int | None = None,
        reverse: bool = False,
    ) -> dict[str, Any]:
        offset = parse_marker(marker)
        limit = min(max_items, MAX_PAGE) if max_items and max_items > 0 else 1000
        started_after, started_before = clamp_ms(started_after), clamp_ms(started_before)
        with self._read() as tx:
            if function_name is not None and tx.get_function(function_name) is None:
                raise ResourceNotFoundException(f"Function not found: {self.function_arn(function_name)}")
            rows = tx.list_executions(
                function_name=function_name, statuses=statuses, name=name, started_after=started_after,
                started_before=started_before, reverse=reverse, limit=limit + 1, offset=offset,
            )
        out: dict[str, Any] = {"DurableExecutions": [invocations.execution_summary(r) for r in rows[:limit]]}
        if len(rows) > limit:
            out["NextMarker"] = str(offset + limit)
        return out

    def list_version_executions(self, function_name: str, version: str, **filters: Any) -> dict[str, Any]:
        """ListDurableExecutionsByFunction with a ``Qualifier``: only executions pinned to
        ``version`` (``$LATEST`` or a number). Filters and paging as ``list_executions``."""
        offset = parse_marker(filters.pop("marker", None))
        max_items = filters.pop("max_items", None)
        limit = min(max_items, MAX_PAGE) if max_items and max_items > 0 else 1000
        for key in ("started_after", "started_before"):
            filters[key] = clamp_ms(filters.get(key))
        with self._read() as tx:
            if tx.get_function(function_name) is None:
                raise ResourceNotFoundException(f"Function not found: {self.function_arn(function_name)}")
            rows = tx.list_executions(function_name=function_name, version=version, limit=limit + 1, offset=offset, **filters)
        out: dict[str, Any] = {"DurableExecutions": [invocations.execution_summary(r) for r in rows[:limit]]}
        if len(rows) > limit:
            out["NextMarker"] = str(offset + limit)
        return out

    def get_history(
        self,
        arn: str,
        *,
        include_execution_data: bool = False,
        marker: str | None = None,
        max_items: int | None = None,
        reverse: bool = False,
    ) -> dict[str, Any]:
        after = parse_marker(marker)
        limit = min(max_items, MAX_PAGE) if max_items and max_items > 0 else None
        with self._read() as tx:
            self._require(tx, arn)
            events = tx.read_events(arn, after=after, limit=(limit + 1) if limit else None, reverse=reverse)
        out: dict[str, Any] = {}
        if limit is not None and len(events) > limit:
            events = events[:limit]
            out["NextMarker"] = str(events[-1]["EventId"])
        if not include_execution_data:
            events = [invocations.strip_payloads(e) for e in events]
        out["Events"] = events
        return out

    def stop_execution(self, arn: str, error: dict[str, Any] | None = None) -> dict[str, Any]:
        err = parse_error_object(error) if error is not None else {"ErrorType": "Execution.Stopped", "ErrorMessage": "Execution stopped"}
        with self._tx() as tx:
            ex = self._require(tx, arn)
            if ex.status == "STOPPED":
                return {"StopTimestamp": ex.end_ms}
            if ex.status in TERMINAL:
                raise InvalidParameterValueException(f"Durable execution is already {ex.status}: {arn}")
            w = ExecutionWriter(tx, ex, self.clock.now_ms(), self.ids)
            finish_execution(w, "STOPPED", error=err)
            w.changes.update(lease_token=None, lease_owner=None, lease_expires_ms=None)
            w.flush()
        self._after(w, arn)
        return {"StopTimestamp": w.now}

    # -- checkpoint --------------------------------------------------------------------------
    def checkpoint(self, arn: str, body: dict[str, Any]) -> dict[str, Any]:
        token, updates, client_token = parse_checkpoint_body(body)
        with self._tx() as tx:
            ex = tx.get_execution(arn) if isinstance(arn, str) else None
            if ex is None:
                raise InvalidParameterValueException(f"{INVALID_CHECKPOINT_TOKEN}: unknown durable execution")
            if client_token and ex.last_client_token == client_token and ex.last_request_token == token and ex.last_response:
                return json.loads(ex.last_response)  # type: ignore[no-any-return]
            if ex.status != "RUNNING" or ex.checkpoint_token is None or ex.checkpoint_token != token or ex.pending_outcome:
                raise InvalidParameterValueException(
                    f"{INVALID_CHECKPOINT_TOKEN}: the token is stale or does not belong to a running invocation"
                )
            w = ExecutionWriter(tx, ex, self.clock.now_ms(), self.ids)
            apply_updates(w, updates)
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
                checkpoint_token=new_token, seen_seq=w.change_seq, last_request_token=token,
                last_client_token=client_token, last_response=json.dumps(response) if client_token else None,
            )
            w.flush()
        self._after(w, arn)
        return response

    def get_execution_state(
        self, arn: str, checkpoint_token: str, marker: str | None = None, max_items: int | None = None
    ) -> dict[str, Any]:
        offset = parse_marker(marker)
        limit = max_items if max_items and 0 < max_items <= _STATE_PAGE else _STATE_PAGE
        with self._read() as tx:
            ex = tx.get_execution(arn) if isinstance(arn, str) else None
            if ex is None or not checkpoint_token or ex.checkpoint_token != checkpoint_token:
                raise InvalidParameterValueException(f"{INVALID_CHECKPOINT_TOKEN}: cannot read state")
            ops = tx.all_operations(arn, offset=offset, limit=limit + 1)
        out: dict[str, Any] = {"Operations": ops[:limit]}
        if len(ops) > limit:
            out["NextMarker"] = str(offset + limit)
        return out

    # -- callbacks ---------------------------------------------------------------------------
    def _callback_op(self, tx: Any, callback_id: Any) -> tuple[ExecutionRow, dict[str, Any]]:
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
            raise RequestTooLargeException(f"Callback result is larger than {MAX_PAYLOAD_BYTES} bytes")
        try:
            text = result.decode("utf-8") if result is not None else None
        except UnicodeDecodeError as err:
            raise InvalidParameterValueException("Callback result must be UTF-8") from err
        with self._tx() as tx:
            ex, op = self._callback_op(tx, callback_id)
            w = ExecutionWriter(tx, ex, self.clock.now_ms(), self.ids)
            complete_operation(w, op, "SUCCEEDED", "CallbackSucceeded", details_key="CallbackDetails", result=text)
            w.flush()
        self._after(w, ex.arn)

    def send_callback_failure(self, callback_id: str, error: dict[str, Any] | None = None) -> None:
        err = parse_error_object(error) if error is not None else {}
        with self._tx() as tx:
            ex, op = self._callback_op(tx, callback_id)
            w = ExecutionWriter(tx, ex, self.clock.now_ms(), self.ids)
            complete_operation(w, op, "FAILED", "CallbackFailed", details_key="CallbackDetails", error=err)
            w.flush()
        self._after(w, ex.arn)

    def send_callback_heartbeat(self, callback_id: str) -> None:
        with self._tx() as tx:
            ex, op = self._callback_op(tx, callback_id)
            heartbeat = tx.get_callback(callback_id)[2]
            if heartbeat > 0:
                tx.schedule_timer(ex.arn, op["Id"], "callback_heartbeat", self.clock.now_ms() + heartbeat * 1000)

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

    def next_due_ms(self) -> int | None:
        with self._read() as tx:
            return tx.next_due_ms()  # type: ignore[no-any-return]

    # -- invocations -------------------------------------------------------------------------
    def claim_invocation(self, owner: str, lease_seconds: float, arn: str | None = None) -> InvocationTicket | None:
        with self._tx() as tx:
            ex = tx.claimable_execution(self.clock.now_ms(), arn)
            if ex is None:
                return None
            return invocations.claim(tx, ex, owner, lease_seconds, self.clock.now_ms(), self.ids)

    def complete_invocation(
        self,
        ticket: InvocationTicket,
        *,
        output: Any = None,
        error: dict[str, Any] | None = None,
        started_ms: int | None = None,
        ended_ms: int | None = None,
    ) -> bool:
        with self._tx() as tx:
            ex = tx.get_execution(ticket.arn)
            if ex is None or ex.lease_token != ticket.lease_token:
                return False  # fenced: a newer attempt owns the execution
            w = ExecutionWriter(tx, ex, self.clock.now_ms(), self.ids)
            invocations.complete(w, ticket, scrub(output), scrub(error), started_ms, ended_ms)
            w.flush()
        self._after(w, ticket.arn)
        return True

    def renew_lease(self, ticket: InvocationTicket, lease_seconds: float) -> bool:
        """Extends a running invocation's lease (its heartbeat); False if it was fenced off."""
        with self._tx() as tx:
            ex = tx.get_execution(ticket.arn)
            if ex is None or ex.lease_token != ticket.lease_token or ex.status != "RUNNING":
                return False
            tx.update_execution(ticket.arn, lease_expires_ms=self.clock.now_ms() + int(lease_seconds * 1000))
            return True

    def release_leases(self, arn: str) -> None:
        """Expires the lease on ``arn`` now (an operator resuming after a crash)."""
        with self._tx() as tx:
            ex = self._require(tx, arn)
            if ex.lease_token is not None:
                tx.update_execution(arn, lease_expires_ms=self.clock.now_ms())

    # -- effects -----------------------------------------------------------------------------
    def _after(self, w: ExecutionWriter, arn: str, *, notify: bool = True) -> None:
        for kind, info in w.effects:
            if kind == "invoke":
                invocations.start_chained_invoke(self, arn, info)
            elif kind == "child_finished":
                invocations.finish_chained_invoke(self, w.ex, info)
        if notify:
            self._notify()
