"""History events: shapes of conformance.md §7.3 and the writer that numbers them.

``ExecutionWriter`` accumulates, for one transaction on one execution, the operation rows and the
events it writes; EventIds come from the execution's counter at append time, so they are
gap-free and in write order (conformance.md §8.1).
"""

from __future__ import annotations

from typing import Any

from durable_lambda_server.engine.effects import Effect
from durable_lambda_server.engine.ids import IdSource
from durable_lambda_server.store.base import ExecutionChanges, ExecutionRow, Transaction
from durable_lambda_server.wire.vocabulary import EventType

__all__ = ["ExecutionWriter", "error_details", "payload_details"]


def payload_details(payload: str | None) -> dict[str, Any]:
    """An event's ``Input`` / ``Result`` part: the payload, never truncated here."""
    out: dict[str, Any] = {"Truncated": False}
    if payload is not None:
        out["Payload"] = payload
    return out


def error_details(error: dict[str, Any] | None) -> dict[str, Any]:
    """An event's ``Error`` part: the ``ErrorObject`` (empty if none), never truncated here."""
    return {"Payload": dict(error or {}), "Truncated": False}


class ExecutionWriter:
    """One transaction's writes to one execution: operations, numbered events, row changes.

    Everything is buffered until ``flush``, which writes it in a few statements; effects are
    collected for the caller to apply after commit.
    """

    def __init__(
        self,
        tx: Transaction,
        ex: ExecutionRow,
        now_ms: int,
        ids: IdSource | None = None,
        *,
        seen: bool = False,
    ) -> None:
        """Starts from ``ex`` as read in ``tx``, at time ``now_ms``.

        ``seen``: the writer of the handler's own checkpoint, whose answer reports every
        operation it writes (``Transaction.put_operations``).
        """
        self.seen = seen
        self.tx = tx
        self.ids = ids or IdSource()
        self.effects: list[Effect] = []
        self.ex = ex
        self.now = now_ms
        self.event_seq = ex.event_seq
        self.change_seq = ex.change_seq
        self.op_seq = ex.op_seq
        self.events: list[dict[str, Any]] = []
        self.changes: ExecutionChanges = {}
        self.written_ops: dict[str, dict[str, Any]] = {}
        self._pending_ops: dict[str, tuple[dict[str, Any], int, int]] = {}

    def event(
        self,
        event_type: EventType,
        details: dict[str, Any] | None = None,
        op: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Appends a history event with the next EventId, naming ``op`` if given; returns it."""
        self.event_seq += 1
        event: dict[str, Any] = {
            "EventType": event_type,
            "EventId": self.event_seq,
            "EventTimestamp": self.now,
        }
        if op is not None:
            event["Id"] = op["Id"]
            # Unrolled ("Name", "SubType", "ParentId"): two events per map item come through here.
            name = op.get("Name")
            if name:
                event["Name"] = name
            sub_type = op.get("SubType")
            if sub_type:
                event["SubType"] = sub_type
            parent_id = op.get("ParentId")
            if parent_id:
                event["ParentId"] = parent_id
        event[event_type + "Details"] = details or {}
        self.events.append(event)
        return event

    def put_op(self, op: dict[str, Any], *, new: bool) -> None:
        """Records an operation write; rows are written once per operation at ``flush``.

        A step's START and SUCCEED in one checkpoint thus cost one row write, not two. Readers
        inside the same transaction use ``written_ops``, never the table, for these operations.
        """
        self.change_seq += 1
        if new:
            self.op_seq += 1
            seq = self.op_seq
        else:
            pending = self._pending_ops.get(op["Id"])
            seq = pending[1] if pending is not None else 0  # existing rows keep their seq
        self._pending_ops[op["Id"]] = (op, seq, self.change_seq)
        self.written_ops[op["Id"]] = op

    def get_op(self, op_id: str) -> dict[str, Any] | None:
        """An operation as this transaction sees it, including writes not flushed yet."""
        written = self.written_ops.get(op_id)
        if written is not None:
            return written
        return self.tx.get_operations(self.ex.arn, [op_id]).get(op_id)

    def service_change(self) -> None:
        """Marks a completion the handler has not seen (timer, callback, child result)."""
        self.changes["service_seq"] = self.change_seq
        lease_live = self.ex.lease_token is not None and (self.ex.lease_expires_ms or 0) > self.now
        if not lease_live:
            self.changes["needs_invoke"] = 1

    def flush(self) -> None:
        """Writes the buffered operations, events and row changes (with the new counters)."""
        if self._pending_ops:
            self.tx.put_operations(self.ex.arn, list(self._pending_ops.values()), seen=self.seen)
            self._pending_ops.clear()
        if self.events:
            self.tx.append_events(self.ex.arn, self.events)
        changes = self.changes
        changes["event_seq"] = self.event_seq
        changes["change_seq"] = self.change_seq
        changes["op_seq"] = self.op_seq
        self.tx.update_execution(self.ex.arn, changes)
