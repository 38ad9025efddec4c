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
CREATE TABLE operations_by_key (
    id           INTEGER PRIMARY KEY,   -- (xid << 32) | seq: creation order within the execution
    xid          INTEGER NOT NULL,
    op_id        TEXT NOT NULL,
    change_seq   INTEGER NOT NULL,
    status       TEXT NOT NULL,
    body         TEXT NOT NULL
);
INSERT INTO operations_by_key (id, xid, op_id, change_seq, status, body)
    SELECT (xid << 32) | seq, xid, op_id, change_seq, status, body FROM operations ORDER BY xid, seq;
DROP TABLE operations;
ALTER TABLE operations_by_key RENAME TO operations;
CREATE UNIQUE INDEX operations_by_id ON operations (xid, op_id);
CREATE INDEX operations_by_change ON operations (xid, change_seq);

CREATE TABLE events_by_key (
    id      INTEGER PRIMARY KEY,        -- (xid << 32) | event_id
    body    TEXT NOT NULL
);
INSERT INTO events_by_key (id, body)
    SELECT (xid << 32) | event_id, body FROM events ORDER BY xid, event_id;
DROP TABLE events;
ALTER TABLE events_by_key RENAME TO events;
