-- 0005: operations and history keyed by a small integer per execution instead of its ARN.
--
-- Every step writes rows into `operations` (and its two indexes) and `events`. Keyed by the
-- ARN (about 110 bytes), each key filled a sizeable share of a b-tree page, so a commit touched
-- about 14 pages, and with WAL every touched page is a frame written to the log. Keyed by an
-- integer, the same commit touches about half as many. `executions.xid` is that integer: an
-- explicit column (VACUUM may renumber implicit rowids), unique, assigned at insert as one
-- past the largest. The store's queries still take ARNs and look the xid up in SQL.
ALTER TABLE executions ADD COLUMN xid INTEGER;
UPDATE executions SET xid = rowid;
CREATE UNIQUE INDEX executions_by_xid ON executions (xid);

-- Operations are stored in creation order, (xid, seq): a new operation's row is appended at the
-- end of its execution's range instead of landing at a random place (operation ids are hashes),
-- which split the big-row pages about every tenth step. The id lookup is the small unique index.
CREATE TABLE operations_by_xid (
    xid          INTEGER NOT NULL,
    seq          INTEGER NOT NULL,
    op_id        TEXT NOT NULL,
    change_seq   INTEGER NOT NULL,
    status       TEXT NOT NULL,
    body         TEXT NOT NULL,
    PRIMARY KEY (xid, seq)
) WITHOUT ROWID;
INSERT INTO operations_by_xid (xid, seq, op_id, change_seq, status, body)
    SELECT e.xid, o.seq, o.op_id, o.change_seq, o.status, o.body
    FROM operations o JOIN executions e ON e.arn = o.arn;
DROP TABLE operations;
ALTER TABLE operations_by_xid RENAME TO operations;
CREATE UNIQUE INDEX operations_by_id ON operations (xid, op_id);
CREATE INDEX operations_by_change ON operations (xid, change_seq);

-- History rows go into a rowid table, appended in write order (SQLite's cheap path for
-- appending to a rowid b-tree); the small unique index finds an execution's events in order.
CREATE TABLE events_by_xid (
    xid       INTEGER NOT NULL,
    event_id  INTEGER NOT NULL,
    body      TEXT NOT NULL
);
INSERT INTO events_by_xid (xid, event_id, body)
    SELECT e.xid, v.event_id, v.body FROM events v JOIN executions e ON e.arn = v.arn
    ORDER BY e.xid, v.event_id;
DROP TABLE events;
ALTER TABLE events_by_xid RENAME TO events;
CREATE UNIQUE INDEX events_by_id ON events (xid, event_id);
