-- 0004: indexes that make claiming an invocation O(log n) in the number of suspended executions.
--
-- The dispatcher looks for runnable executions on every round: those that want an invocation
-- and hold no lease, and those whose lease ran out (their runtime died). Each has its own
-- partial index, so neither query reads the (many) suspended executions; the claim queries in
-- store/sqlite_claims.py repeat these WHERE conditions verbatim, as SQLite requires to use them.
CREATE INDEX executions_to_invoke ON executions (start_ms)
    WHERE status = 'RUNNING' AND needs_invoke = 1 AND lease_token IS NULL;
CREATE INDEX executions_leased ON executions (lease_expires_ms)
    WHERE status = 'RUNNING' AND lease_token IS NOT NULL;
