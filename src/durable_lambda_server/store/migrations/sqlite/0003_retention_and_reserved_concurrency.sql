-- 0003: execution retention and reserved concurrency per function.
--
-- Each execution keeps the RetentionPeriodInDays of the function version it started on; once
-- end_ms + retention has passed, the dispatcher's sweep deletes it. The expression index makes
-- that scan touch only expired rows (the sweep's WHERE repeats the expression and the
-- partial-index condition verbatim, as SQLite requires).
ALTER TABLE executions ADD COLUMN retention_days INTEGER NOT NULL DEFAULT 14;
CREATE INDEX executions_expiry ON executions (end_ms + retention_days * 86400000) WHERE status != 'RUNNING';

-- PutFunctionConcurrency: NULL = unreserved, 0 = throttle everything, N = at most N at once.
ALTER TABLE functions ADD COLUMN reserved_concurrency INTEGER;
-- Counting a function's running (and leased) executions without scanning its finished ones.
CREATE INDEX executions_running_by_function ON executions (function_name) WHERE status = 'RUNNING';
