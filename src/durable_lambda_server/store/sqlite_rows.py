"""Operation and history rows on SQLite: one integer key per row, ``(xid << 32) | number``.

Mixed into ``SqliteTransaction`` (store/sqlite.py). An execution's operations and events are the
key range ``[xid << 32, (xid << 32) | 0xFFFFFFFF]`` of their tables (migration 0006); rows a
handler's own checkpoint writes are marked ``by_service = 0`` and stay out of the partial index
that finds what the handler has not seen (decision 0013).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

from durable_lambda_server.store.base import ConflictError

__all__ = ["KEY_BITS", "KEY_SPAN", "RowQueries", "dumps_compact"]


def _compact_dumps() -> Callable[[Any], str]:
    """``json.dumps(value, separators=(",", ":"))`` without building an encoder per call.

    The checkpoint write path encodes two events and one operation per map item. Rows are plain
    JSON trees (never circular), so the C encoder runs without the circularity markers; the
    output is the same string.
    """
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return json.JSONEncoder(separators=(",", ":")).encode
    encode = make(
        None,
        json.JSONEncoder().default,
        json.encoder.encode_basestring_ascii,
        None,
        ":",
        ",",
        False,  # noqa: FBT003  (sort_keys: c_make_encoder takes its flags positionally only)
        False,  # noqa: FBT003  (skipkeys, as above)
        True,  # noqa: FBT003  (allow_nan, as above)
    )
    return lambda value: "".join(encode(value, 0))


dumps_compact = _compact_dumps()


# Operation and history rows are keyed by one integer, ``(xid << 32) | number`` (migration 0006),
# so an execution's rows are one key range; ``xid`` is the execution's integer key. A transaction
# looks an execution's xid up once (``get_execution`` fetches it with the row) and passes it on.
KEY_BITS = 32
KEY_SPAN = (1 << KEY_BITS) - 1
# ``(xid, op_id)`` is unique: a new operation that exists already (a repeated START) updates the
# row and keeps its key.
_INSERT_OPERATION = (
    "INSERT INTO operations (id, xid, op_id, change_seq, status, body, by_service) "
    "VALUES (?, ?, ?, ?, ?, ?, ?) "
    "ON CONFLICT (xid, op_id) DO UPDATE SET change_seq = excluded.change_seq, "
    "status = excluded.status, body = excluded.body, by_service = excluded.by_service"
)
_UPDATE_OPERATION = (
    "UPDATE operations SET change_seq = ?, status = ?, body = ?, by_service = ? "
    "WHERE xid = ? AND op_id = ?"
)
# Operation types whose STARTED operations end by a service-side completion.
_SERVICE_COMPLETED = frozenset({"WAIT", "CALLBACK", "CHAINED_INVOKE"})
_INSERT_EVENT = "INSERT INTO events (id, body) VALUES (?, ?)"


class RowQueries:
    """Operations and history of one transaction; ``_xids`` caches each execution's xid."""

    conn: sqlite3.Connection
    _xids: dict[str, int]

    def _xid(self, arn: str) -> int | None:
        xid = self._xids.get(arn)
        if xid is None:
            row = self.conn.execute("SELECT xid FROM executions WHERE arn = ?", (arn,)).fetchone()
            if row is None:
                return None
            xid = self._xids[arn] = int(row[0])
        return xid

    def _require_xid(self, arn: str) -> int:
        xid = self._xid(arn)
        if xid is None:
            raise ConflictError(f"no execution {arn}")
        return xid

    # -- operations --------------------------------------------------------------------------
    def get_operations(self, arn: str, op_ids: Sequence[str]) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        xid = self._xid(arn)
        if xid is None:
            return out
        ids = list(dict.fromkeys(op_ids))
        for i in range(0, len(ids), 500):
            chunk = ids[i : i + 500]
            cur = self.conn.execute(
                "SELECT op_id, body FROM operations "
                f"WHERE xid = ? AND op_id IN ({', '.join('?' for _ in chunk)})",
                [xid, *chunk],
            )
            for op_id, body in cur:
                out[op_id] = json.loads(body)
        return out

    def all_operations(
        self, arn: str, offset: int = 0, limit: int | None = None
    ) -> list[dict[str, Any]]:
        xid = self._xid(arn)
        if xid is None:
            return []
        sql = "SELECT body FROM operations WHERE id BETWEEN ? AND ? ORDER BY id LIMIT ? OFFSET ?"
        low = xid << KEY_BITS
        cur = self.conn.execute(sql, (low, low | KEY_SPAN, -1 if limit is None else limit, offset))
        return [json.loads(body) for (body,) in cur]

    def operations_changed_since(
        self, arn: str, change_seq: int, upto: int | None = None
    ) -> list[dict[str, Any]]:
        xid = self._xid(arn)
        if xid is None:
            return []
        # The partial index holds the rows whose latest write was not the handler's own
        # checkpoint (migration 0006); those the handler wrote are never newer than what it saw.
        sql = "SELECT body FROM operations WHERE xid = ? AND by_service = 1 AND change_seq > ?"
        params: list[Any] = [xid, change_seq]
        if upto is not None:
            sql += " AND change_seq <= ?"
            params.append(upto)
        cur = self.conn.execute(sql + " ORDER BY id", params)
        return [json.loads(body) for (body,) in cur]

    def has_pending_operations(self, arn: str) -> bool:
        xid = self._xid(arn)
        if xid is None:
            return False
        # Few rows of an execution are STARTED or PENDING at once (contexts, open waits); the key
        # range keeps the scan to this execution's rows.
        low = xid << KEY_BITS
        cur = self.conn.execute(
            "SELECT status, body FROM operations "
            "WHERE id BETWEEN ? AND ? AND status IN ('STARTED', 'PENDING')",
            (low, low | KEY_SPAN),
        )
        for status, body in cur:
            kind = json.loads(body).get("Type")
            if status == "PENDING" and kind == "STEP":
                return True
            if status == "STARTED" and kind in _SERVICE_COMPLETED:
                return True
        return False

    def put_operations(
        self, arn: str, rows: list[tuple[dict[str, Any], int, int]], *, seen: bool = False
    ) -> None:
        """Writes ``(operation, seq, change_seq)`` rows.

        ``seq`` > 0 is a new operation (its creation order), 0 an existing one, which keeps its
        key.
        """
        xid = self._require_xid(arn)
        low = xid << KEY_BITS
        by_service = 0 if seen else 1
        created = [
            (low | seq, xid, op["Id"], change, op["Status"], dumps_compact(op), by_service)
            for op, seq, change in rows
            if seq
        ]
        updated = [
            (change, op["Status"], dumps_compact(op), by_service, xid, op["Id"])
            for op, seq, change in rows
            if not seq
        ]
        for statement, values in ((_INSERT_OPERATION, created), (_UPDATE_OPERATION, updated)):
            if len(values) == 1:  # the common case (one step): execute is cheaper than executemany
                self.conn.execute(statement, values[0])
            elif values:
                self.conn.executemany(statement, values)

    # -- history -----------------------------------------------------------------------------
    def append_events(self, arn: str, events: Sequence[dict[str, Any]]) -> None:
        low = self._require_xid(arn) << KEY_BITS
        self.conn.executemany(
            _INSERT_EVENT, [(low | e["EventId"], dumps_compact(e)) for e in events]
        )

    def read_events(
        self, arn: str, *, after: int, limit: int | None, reverse: bool
    ) -> list[dict[str, Any]]:
        xid = self._xid(arn)
        if xid is None:
            return []
        low = xid << KEY_BITS
        high = low | KEY_SPAN
        after = max(0, after)
        if reverse:
            sql = "SELECT body FROM events WHERE id >= ? AND id < ? ORDER BY id DESC LIMIT ?"
            bounds = (low, low | after if 0 < after <= KEY_SPAN else high + 1)
        else:
            sql = "SELECT body FROM events WHERE id > ? AND id <= ? ORDER BY id LIMIT ?"
            bounds = (low | after if after <= KEY_SPAN else high, high)
        cur = self.conn.execute(sql, (*bounds, -1 if limit is None else limit))
        return [json.loads(body) for (body,) in cur]
