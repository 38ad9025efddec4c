-- 0007: an execution's input, result and error move out of its row.
--
-- Every checkpoint reads and rewrites its execution's row (sequence numbers, tokens). With the
-- input in that row, a 1 MB input made each step read the megabyte back and rewrite its
-- overflow pages whenever the row's size changed: 1.6 ms per step instead of 0.15. The payloads
-- now sit in their own table, written when an execution starts and ends and read only where they
-- are shown or needed (describe, plain invocations, a child's result for its parent). The old
-- columns stay in `executions` (dropping a column needs SQLite 3.35) and are left NULL.
CREATE TABLE execution_payloads (
    xid            INTEGER PRIMARY KEY,
    input_payload  TEXT,
    result         TEXT,
    error          TEXT
);
INSERT INTO execution_payloads (xid, input_payload, result, error)
    SELECT xid, input_payload, result, error FROM executions
    WHERE input_payload IS NOT NULL OR result IS NOT NULL OR error IS NOT NULL;
UPDATE executions SET input_payload = NULL, result = NULL, error = NULL
    WHERE input_payload IS NOT NULL OR result IS NOT NULL OR error IS NOT NULL;
