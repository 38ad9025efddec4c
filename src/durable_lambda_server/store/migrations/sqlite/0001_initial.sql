-- 0001: executions, operations (one row per operation), append-only events, timers,
-- callbacks and a minimal function registry. Timestamps are epoch milliseconds.
CREATE TABLE functions (
    name        TEXT PRIMARY KEY,
    handler     TEXT NOT NULL,
    config      TEXT NOT NULL,            -- JSON: timeouts, environment, durable settings
    updated_ms  INTEGER NOT NULL
);

CREATE TABLE executions (
    arn                  TEXT PRIMARY KEY,
    function_name        TEXT NOT NULL,
    function_arn         TEXT NOT NULL,
    version              TEXT NOT NULL,
    name                 TEXT NOT NULL,
    execution_id         TEXT NOT NULL,   -- also the EXECUTION operation's Id
    status               TEXT NOT NULL,   -- RUNNING | SUCCEEDED | FAILED | TIMED_OUT | STOPPED
    input_payload        TEXT,
    result               TEXT,
    error                TEXT,            -- JSON ErrorObject
    pending_outcome      TEXT,            -- JSON: EXECUTION SUCCEED/FAIL checkpointed, applied at invocation end
    start_ms             INTEGER NOT NULL,
    end_ms               INTEGER,
    timeout_seconds      INTEGER NOT NULL,
    checkpoint_token     TEXT,            -- current token; NULL when no invocation may checkpoint
    last_request_token   TEXT,            -- idempotency of the last accepted checkpoint
    last_client_token    TEXT,
    last_response        TEXT,
    event_seq            INTEGER NOT NULL DEFAULT 0,   -- last EventId written
    op_seq               INTEGER NOT NULL DEFAULT 0,   -- operations created (their order)
    change_seq           INTEGER NOT NULL DEFAULT 0,   -- bumped by every operation write
    seen_seq             INTEGER NOT NULL DEFAULT 0,   -- change_seq the handler has observed
    service_seq          INTEGER NOT NULL DEFAULT 0,   -- change_seq of the last service-side completion
    needs_invoke         INTEGER NOT NULL DEFAULT 1,
    attempt              INTEGER NOT NULL DEFAULT 0,   -- invocations dispatched
    failed_invocations   INTEGER NOT NULL DEFAULT 0,   -- consecutive invocations that ended in error
    lease_token          TEXT,
    lease_owner          TEXT,
    lease_expires_ms     INTEGER,
    invocation_start_ms  INTEGER,
    request_id           TEXT,
    parent_arn           TEXT,            -- chained invoke: the caller's execution
    parent_op_id         TEXT             -- chained invoke: the caller's CHAINED_INVOKE operation
);
CREATE UNIQUE INDEX executions_by_name ON executions (function_name, name);
CREATE INDEX executions_runnable ON executions (status, needs_invoke);
CREATE INDEX executions_by_function ON executions (function_name, start_ms);
CREATE INDEX executions_by_parent ON executions (parent_arn, parent_op_id);

CREATE TABLE operations (
    arn          TEXT NOT NULL,
    op_id        TEXT NOT NULL,
    seq          INTEGER NOT NULL,        -- creation order within the execution
    change_seq   INTEGER NOT NULL,
    status       TEXT NOT NULL,
    body         TEXT NOT NULL,           -- the Operation as wire JSON (epoch ms)
    PRIMARY KEY (arn, op_id)
) WITHOUT ROWID;
CREATE INDEX operations_by_seq ON operations (arn, seq);
CREATE INDEX operations_by_change ON operations (arn, change_seq);

CREATE TABLE events (
    arn       TEXT NOT NULL,
    event_id  INTEGER NOT NULL,
    body      TEXT NOT NULL,              -- the Event as wire JSON (epoch ms), EventId included
    PRIMARY KEY (arn, event_id)
) WITHOUT ROWID;

CREATE TABLE timers (
    arn     TEXT NOT NULL,
    op_id   TEXT NOT NULL,                -- '' for execution-level timers
    kind    TEXT NOT NULL,                -- wait | retry | callback_timeout | callback_heartbeat | execution_timeout | invocation_retry
    due_ms  INTEGER NOT NULL,
    PRIMARY KEY (arn, op_id, kind)
) WITHOUT ROWID;
CREATE INDEX timers_due ON timers (due_ms);

CREATE TABLE callbacks (
    callback_id  TEXT PRIMARY KEY,
    arn          TEXT NOT NULL,
    op_id        TEXT NOT NULL,
    heartbeat_seconds INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX callbacks_by_execution ON callbacks (arn);
