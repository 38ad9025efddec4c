-- 0006: operation and history rows keyed by one integer, (xid << 32) | number.
--
-- Migration 0005 keyed both tables by (xid, number): operations as a WITHOUT ROWID table (an
-- index b-tree, split half-and-half when a page fills) and events as a rowid table plus a unique
-- (xid, event_id) index. One integer key holding both parts keeps the same order, makes both
-- tables plain rowid b-trees (SQLite fills a page before starting the next when rows are
-- appended at the end of the key range) and needs no separate index for events: a step's commit
-- writes about two fewer WAL pages. An execution's rows are the key range
-- [xid << 32, (xid << 32) | 0xFFFFFFFF]: an execution holds at most 25,000 operations and a few
-- events per operation, far below 2^32, and xids stay below 2^31.
--
-- `by_service` is 0 when the row's latest write was the handler's own checkpoint and 1 for any
-- other write (a timer, a callback, a child's result, the start). Only the latter need finding by
-- change number (what the handler has not seen yet): the index on them is partial, so a step's
-- rows, written by its checkpoint, no longer touch it.
CREATE TABLE operations_by_key (
    id           INTEGER PRIMARY KEY,   -- (xid << 32) | seq: creation order within the execution
    xid          INTEGER NOT NULL,
    op_id        TEXT NOT NULL,
    change_seq   INTEGER NOT NULL,
    status       TEXT NOT NULL,
    body         TEXT NOT NULL,
    by_service   INTEGER NOT NULL DEFAULT 1
);
INSERT INTO operations_by_key (id, xid, op_id, change_seq, status, body, by_service)
    SELECT (xid << 32) | seq, xid, op_id, change_seq, status, body, 1 FROM operations ORDER BY xid, seq;
DROP TABLE operations;
ALTER TABLE operations_by_key RENAME TO operations;
CREATE UNIQUE INDEX operations_by_id ON operations (xid, op_id);
CREATE INDEX operations_by_service_change ON operations (xid, change_seq) WHERE by_service = 1;

CREATE TABLE events_by_key (
    id      INTEGER PRIMARY KEY,        -- (xid << 32) | event_id
    body    TEXT NOT NULL
);
INSERT INTO events_by_key (id, body)
    SELECT (xid << 32) | event_id, body FROM events ORDER BY xid, event_id;
DROP TABLE events;
ALTER TABLE events_by_key RENAME TO events;
