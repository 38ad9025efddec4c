"""Background WAL checkpoints for the group-commit writer (decision 0009).

In WAL mode every commit appends the pages it changed to the ``-wal`` file; a *checkpoint* copies
them back into the database file. By default SQLite runs that copy inside whichever commit takes
the WAL past 1,000 pages, so one commit in about seventy paid for copying all of them while
holding the write lock: about 40% of the commit cost of a trivial step in S1.

This thread runs PASSIVE checkpoints on its own connection every ``every_commits`` commits (and
at least once per ``interval`` seconds while commits happen). SQLite's own automatic checkpoint
stays on as the backstop and as the step that lets the WAL restart from its beginning: when it
comes due, this thread has already copied nearly everything, so it is short. A PASSIVE checkpoint
never waits for, and never blocks, readers or the writer. Durability does not change: a commit is
durable once it is in the WAL (fsync'd there with ``synchronous=FULL``); a checkpoint only moves
committed pages, and SQLite completes an interrupted one from the WAL on the next open.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
from collections.abc import Callable

__all__ = ["WalCheckpointer"]

log = logging.getLogger(__name__)

EVERY_COMMITS = 40  # a trivial step commits ~14 pages: well under the 1,000 of an inline checkpoint
INTERVAL_SECONDS = 1.0


class WalCheckpointer:
    """Copies the WAL back into the database file on a thread of its own (decision 0009)."""

    def __init__(
        self,
        connect: Callable[[], sqlite3.Connection],
        *,
        every_commits: int = EVERY_COMMITS,
        interval: float = INTERVAL_SECONDS,
    ) -> None:
        """Prepares the checkpointer; its thread starts with the first commit.

        ``connect`` opens the thread's own connection; a checkpoint runs every
        ``every_commits`` commits, and within ``interval`` seconds of any commit.
        """
        self._connect = connect
        self._every = max(1, every_commits)
        self._interval = interval
        self._since = 0  # commits since the last checkpoint was asked for
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self.checkpoints = 0  # diagnostics (tests): checkpoints run, frames copied in all
        self.frames_copied = 0

    def committed(self) -> None:
        """Counts a commit; called by the writer after each one, holding its lock.

        Cheap: it wakes the thread only every ``every_commits`` commits.
        """
        self._since += 1
        if self._since == 1:
            self._ensure_started()
        if self._since >= self._every:
            self._wake.set()

    def _ensure_started(self) -> None:
        with self._lock:
            if self._thread is None and not self._stopping:
                self._thread = threading.Thread(
                    target=self._run, name="dl-wal-checkpoint", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            while True:
                self._wake.wait(self._interval)
                self._wake.clear()
                if self._stopping:
                    return
                if self._since == 0:
                    continue
                self._since = 0
                try:
                    if conn is None:
                        conn = self._connect()
                    self.checkpoint_now(conn)
                except sqlite3.Error as err:  # busy, a full disk: the next round tries again
                    log.debug("WAL checkpoint skipped: %s", err)
        finally:
            if conn is not None:
                with contextlib.suppress(sqlite3.Error):
                    conn.close()

    def checkpoint_now(self, conn: sqlite3.Connection) -> None:
        row = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        self.checkpoints += 1
        if row is not None and row[2] is not None and row[2] > 0:
            self.frames_copied += int(row[2])

    def close(self) -> None:
        with self._lock:
            self._stopping = True
            thread = self._thread
        self._wake.set()
        if thread is not None:
            thread.join(10)
