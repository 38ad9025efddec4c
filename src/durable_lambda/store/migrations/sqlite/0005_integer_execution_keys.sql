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

CREATE TABLE operations_by_xid (
    xid          INTEGER NOT NULL,
    op_id        TEXT NOT NULL,
    seq          INTEGER NOT NULL,
    change_seq   INTEGER NOT NULL,
    status       TEXT NOT NULL,
    body         TEXT NOT NULL,
    PRIMARY KEY (xid, op_id)
) WITHOUT ROWID;
INSERT INTO operations_by_xid (xid, op_id, seq, change_seq, status, body)
    SELECT e.xid, o.op_id, o.seq, o.change_seq, o.status, o.body
    FROM operations o JOIN executions e ON e.arn = o.arn;
DROP TABLE operations;
ALTER TABLE operations_by_xid RENAME TO operations;
CREATE INDEX operations_by_seq ON operations (xid, seq);
CREATE INDEX operations_by_change ON operations (xid, change_seq);

CREATE TABLE events_by_xid (
    xid       INTEGER NOT NULL,
    event_id  INTEGER NOT NULL,
    body      TEXT NOT NULL,
    PRIMARY KEY (xid, event_id)
) WITHOUT ROWID;
INSERT INTO events_by_xid (xid, event_id, body)
    SELECT e.xid, v.event_id, v.body FROM events v JOIN executions e ON e.arn = v.arn;
DROP TABLE events;
ALTER TABLE events_by_xid RENAME TO events;
