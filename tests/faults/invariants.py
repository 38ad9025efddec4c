"""Store invariants for fault and chaos tests: read the SQLite file directly and check it.

``snapshot(path)`` reads every execution, operation, event, timer and callback over a separate
read-only connection (the engine's own pool is not involved). ``check_snapshot`` checks one
state; ``check_transition`` checks what may change between two states (history is append-only,
terminal operations and executions never change, checkpoint tokens are never reused);
``Tracker`` does both over a sequence of snapshots. Every check returns a list of human-readable
violations, so a test can ``assert not violations`` and see all of them at once.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "Snapshot",
    "Tracker",
    "assert_invariants",
    "check_snapshot",
    "check_transition",
    "snapshot",
]

TERMINAL_EXECUTION = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "STOPPED"})
TERMINAL_OPERATION = frozenset({"SUCCEEDED", "FAILED", "TIMED_OUT", "STOPPED", "CANCELLED"})
OP_STATUSES = {
    "EXECUTION": {"STARTED", "SUCCEEDED", "FAILED", "TIMED_OUT", "STOPPED"},
    "STEP": {"STARTED", "READY", "PENDING", "SUCCEEDED", "FAILED"},
    "WAIT": {"STARTED", "SUCCEEDED", "CANCELLED"},
    "CALLBACK": {"STARTED", "SUCCEEDED", "FAILED", "TIMED_OUT"},
    "CONTEXT": {"STARTED", "SUCCEEDED", "FAILED"},
    "CHAINED_INVOKE": {"STARTED", "SUCCEEDED", "FAILED", "TIMED_OUT", "STOPPED"},
}
# Events that close an operation of each type: at most one per operation, exactly one if closed.
CLOSING_EVENTS = {
    "WAIT": {"WaitSucceeded", "WaitCancelled"},
    "CALLBACK": {"CallbackSucceeded", "CallbackFailed", "CallbackTimedOut"},
    "CONTEXT": {"ContextSucceeded", "ContextFailed"},
    "CHAINED_INVOKE": {
        "ChainedInvokeSucceeded",
        "ChainedInvokeFailed",
        "ChainedInvokeTimedOut",
        "ChainedInvokeStopped",
    },
    "EXECUTION": {"ExecutionSucceeded", "ExecutionFailed", "ExecutionTimedOut", "ExecutionStopped"},
}
STARTING_EVENTS = {
    "WAIT": "WaitStarted",
    "CALLBACK": "CallbackStarted",
    "CONTEXT": "ContextStarted",
    "CHAINED_INVOKE": "ChainedInvokeStarted",
    "EXECUTION": "ExecutionStarted",
}


@dataclass
class Snapshot:
    executions: dict[str, dict[str, Any]] = field(default_factory=dict)
    operations: dict[str, dict[str, dict[str, Any]]] = field(
        default_factory=dict
    )  # arn -> id -> row
    events: dict[str, list[dict[str, Any]]] = field(
        default_factory=dict
    )  # arn -> events by EventId
    timers: list[tuple[str, str, str, int]] = field(default_factory=list)
    callbacks: dict[str, tuple[str, str, int]] = field(default_factory=dict)


def snapshot(path: str | Path) -> Snapshot:
    """Everything the store holds about executions, read in one read transaction."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
    try:
        conn.row_factory = sqlite3.Row
        conn.execute("BEGIN")
        snap = Snapshot()
        by_xid: dict[int, str] = {}
        for row in conn.execute("SELECT * FROM executions"):
            snap.executions[row["arn"]] = dict(row)
            snap.operations[row["arn"]] = {}
            snap.events[row["arn"]] = []
            by_xid[row["xid"]] = row["arn"]
        # input, result and error live in their own table (migration 0007); the row's columns
        # are NULL
        for row in conn.execute("SELECT xid, input_payload, result, error FROM execution_payloads"):
            if row["xid"] not in by_xid:
                raise AssertionError(f"payloads of xid {row['xid']} belong to no execution")
            snap.executions[by_xid[row["xid"]]].update(
                input_payload=row["input_payload"], result=row["result"], error=row["error"]
            )
        for row in conn.execute(
            "SELECT e.arn AS arn, o.op_id, o.id & 4294967295 AS seq, o.change_seq, o.status, "
            "o.body, o.by_service, o.id >> 32 AS key_xid "
            "FROM operations o JOIN executions e ON e.xid = o.xid "
            "ORDER BY e.arn, o.id"
        ):
            entry = dict(row)
            entry["body"] = json.loads(row["body"])
            if entry.pop("key_xid") != snap.executions[row["arn"]]["xid"]:
                raise AssertionError(
                    f"operation {row['op_id']}: its key and its xid column disagree"
                )
            snap.operations.setdefault(row["arn"], {})[row["op_id"]] = entry
        for row in conn.execute(
            "SELECT e.arn AS arn, v.id & 4294967295 AS event_id, v.body FROM events v "
            "JOIN executions e ON e.xid = v.id >> 32 ORDER BY e.arn, v.id"
        ):
            event = json.loads(row["body"])
            event["_key"] = row["event_id"]
            snap.events.setdefault(row["arn"], []).append(event)
        snap.timers = [
            tuple(r) for r in conn.execute("SELECT arn, op_id, kind, due_ms FROM timers")
        ]  # type: ignore[misc]
        for row in conn.execute("SELECT callback_id, arn, op_id, heartbeat_seconds FROM callbacks"):
            snap.callbacks[row[0]] = (row[1], row[2], int(row[3]))
        conn.execute("COMMIT")
        return snap
    finally:
        conn.close()


def _check_execution(
    arn: str, ex: dict[str, Any], ops: dict[str, dict[str, Any]], events: list[dict[str, Any]]
) -> list[str]:
    out: list[str] = []
    where = f"{arn.rsplit('/', 2)[-2]}:"
    # history: EventIds 1..event_seq, contiguous, no duplicates, body and key agree
    ids = [e["_key"] for e in events]
    if ids != list(range(1, len(ids) + 1)):
        out.append(f"{where} EventIds not contiguous from 1: {ids[:20]}")
    if any(e.get("EventId") != e["_key"] for e in events):
        out.append(f"{where} an event body's EventId differs from its key")
    if ex["event_seq"] != len(ids):
        out.append(f"{where} event_seq {ex['event_seq']} but {len(ids)} events")
    if events and events[0]["EventType"] != "ExecutionStarted":
        out.append(f"{where} first event is {events[0]['EventType']}")
    # operations: ids, parents, statuses, sequence numbers
    seqs = sorted(o["seq"] for o in ops.values())
    if seqs != list(range(1, len(seqs) + 1)) or ex["op_seq"] != len(seqs):
        out.append(f"{where} operation seq not 1..op_seq ({ex['op_seq']}): {seqs[:20]}")
    for op_id, row in ops.items():
        body = row["body"]
        if body.get("Id") != op_id or body.get("Status") != row["status"]:
            out.append(f"{where} operation row {op_id} disagrees with its body")
        if row["change_seq"] > ex["change_seq"]:
            out.append(f"{where} operation {op_id} change_seq beyond the execution's")
        if not row["by_service"] and row["change_seq"] > ex["seen_seq"]:
            # the handler's own checkpoint wrote it, so its answer reported it: never unseen
            out.append(f"{where} operation {op_id} written by a checkpoint but newer than seen_seq")
        allowed = OP_STATUSES.get(body.get("Type"), set())
        if body.get("Status") not in allowed:
            out.append(
                f"{where} operation {op_id} of type {body.get('Type')} "
                f"has status {body.get('Status')}"
            )
        parent = body.get("ParentId")
        if parent is not None and (
            parent not in ops or ops[parent]["body"].get("Type") != "CONTEXT"
        ):
            out.append(f"{where} operation {op_id} names missing parent {parent}")
        if body.get("Status") in TERMINAL_OPERATION and body.get("EndTimestamp") is None:
            out.append(f"{where} closed operation {op_id} has no EndTimestamp")
    # events name existing operations; opening/closing events match the operation's state
    by_op: dict[str, list[str]] = {}
    for e in events:
        if "Id" in e:
            if e["Id"] not in ops:
                out.append(
                    f"{where} event {e['EventId']} {e['EventType']} "
                    f"names missing operation {e['Id']}"
                )
            by_op.setdefault(e["Id"], []).append(e["EventType"])
    for op_id, row in ops.items():
        body, types = row["body"], by_op.get(op_id, [])
        kind = body.get("Type")
        if kind in STARTING_EVENTS and types.count(STARTING_EVENTS[kind]) != 1:
            out.append(
                f"{where} operation {op_id} has {types.count(STARTING_EVENTS[kind])} start events"
            )
        if kind in CLOSING_EVENTS:
            closing = [t for t in types if t in CLOSING_EVENTS[kind]]
            want = 1 if body.get("Status") in TERMINAL_OPERATION else 0
            if len(closing) != want:
                out.append(
                    f"{where} operation {op_id} ({body.get('Status')}) has closing events {closing}"
                )
    # the execution row, its EXECUTION operation and its tokens
    root = ops.get(ex["execution_id"])
    if root is None or root["body"].get("Type") != "EXECUTION":
        out.append(f"{where} EXECUTION operation missing")
    status = ex["status"]
    if status in TERMINAL_EXECUTION:
        if root is not None and root["status"] != status:
            out.append(f"{where} execution {status} but its operation is {root['status']}")
        if ex["end_ms"] is None:
            out.append(f"{where} terminal execution without end time")
        if ex["checkpoint_token"] is not None:
            out.append(f"{where} terminal execution still has a checkpoint token")
        if ex["needs_invoke"]:
            out.append(f"{where} terminal execution marked for invocation")
    elif status == "RUNNING":
        if root is not None and root["status"] != "STARTED":
            out.append(f"{where} running execution's operation is {root['status']}")
    else:
        out.append(f"{where} unknown execution status {status}")
    if ex["checkpoint_token"] is not None and ex["lease_token"] is None:
        out.append(f"{where} a checkpoint token without a lease")
    if (ex["lease_token"] is None) != (ex["lease_expires_ms"] is None):
        out.append(f"{where} lease token and expiry disagree")
    return out


def check_snapshot(snap: Snapshot) -> list[str]:
    """Violations of the invariants that hold in every committed state."""
    out: list[str] = []
    for arn, ex in snap.executions.items():
        out += _check_execution(arn, ex, snap.operations.get(arn, {}), snap.events.get(arn, []))
    for arn in snap.operations:
        if arn not in snap.executions:
            out.append(f"operations of unknown execution {arn}")
    for arn, op_id, kind, _due in snap.timers:
        ex = snap.executions.get(arn)
        if ex is None or ex["status"] != "RUNNING":
            out.append(f"timer {kind} on {op_id!r} of a missing or closed execution")
        elif op_id and op_id not in snap.operations.get(arn, {}):
            out.append(f"timer {kind} on missing operation {op_id}")
    for callback_id, (arn, op_id, _hb) in snap.callbacks.items():
        row = snap.operations.get(arn, {}).get(op_id)
        if (
            row is None
            or (row["body"].get("CallbackDetails") or {}).get("CallbackId") != callback_id
        ):
            out.append(f"callback {callback_id[:8]} does not match operation {op_id}")
    return out


def check_transition(before: Snapshot, after: Snapshot) -> list[str]:
    """Violations of what may change between two committed states of the same store."""
    out: list[str] = []
    for arn, ex in before.executions.items():
        now = after.executions.get(arn)
        if now is None:
            out.append(f"execution {arn} disappeared")
            continue
        if ex["status"] in TERMINAL_EXECUTION:
            keep = ("status", "result", "error", "end_ms")
            if any(ex[k] != now[k] for k in keep):
                out.append(f"terminal execution {arn} changed")
        old_events, new_events = before.events.get(arn, []), after.events.get(arn, [])
        if new_events[: len(old_events)] != old_events:
            out.append(f"history of {arn} was rewritten, not appended to")
        for op_id, row in before.operations.get(arn, {}).items():
            new_row = after.operations.get(arn, {}).get(op_id)
            if new_row is None:
                out.append(f"operation {op_id} of {arn} disappeared")
            elif row["status"] in TERMINAL_OPERATION and new_row["body"] != row["body"]:
                out.append(
                    f"terminal operation {op_id} of {arn} changed: "
                    f"{row['body']} -> {new_row['body']}"
                )
        for key in ("event_seq", "op_seq", "change_seq", "attempt"):
            if now[key] < ex[key]:
                out.append(f"{key} of {arn} went backwards")
    return out


class Tracker:
    """Checks a sequence of snapshots of one store; remembers every checkpoint token ever issued."""

    def __init__(self, path: str | Path) -> None:
        self.path = path
        self.last: Snapshot | None = None
        self.tokens: dict[
            str, tuple[str, str]
        ] = {}  # token -> (arn, lease token) it was issued under

    def check(self) -> list[str]:
        snap = snapshot(self.path)
        out = check_snapshot(snap)
        if self.last is not None:
            out += check_transition(self.last, snap)
        for arn, ex in snap.executions.items():
            token = ex["checkpoint_token"]
            if token is None:
                continue
            issued = self.tokens.setdefault(token, (arn, ex["lease_token"]))
            if issued != (arn, ex["lease_token"]):
                out.append(f"checkpoint token reused across executions or leases on {arn}")
            previous = self.last.executions.get(arn) if self.last else None
            if (
                previous is not None
                and previous["attempt"] != ex["attempt"]
                and previous["checkpoint_token"] == token
            ):
                out.append(f"a new attempt on {arn} kept the previous attempt's checkpoint token")
        self.last = snap
        return out


def assert_invariants(path: str | Path) -> Snapshot:
    """Checks one state and fails the test with every violation; returns the snapshot."""
    snap = snapshot(path)
    violations = check_snapshot(snap)
    assert not violations, "\n".join(violations)
    return snap
