-- 0002: published function versions, aliases, and plain (non-durable) invocations.
CREATE TABLE function_versions (
    name        TEXT NOT NULL,
    version     INTEGER NOT NULL,
    handler     TEXT NOT NULL,
    config      TEXT NOT NULL,
    created_ms  INTEGER NOT NULL,
    PRIMARY KEY (name, version)
) WITHOUT ROWID;

CREATE TABLE aliases (
    name        TEXT NOT NULL,
    alias       TEXT NOT NULL,
    version     TEXT NOT NULL,            -- a published version number
    routing     TEXT NOT NULL,            -- JSON: {"<version>": weight} for weighted routing
    description TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (name, alias)
) WITHOUT ROWID;

-- 'durable' executions run the durable protocol; 'plain' ones are a single invocation of a
-- non-durable function (a chained-invoke target) whose return value is the result.
ALTER TABLE executions ADD COLUMN kind TEXT NOT NULL DEFAULT 'durable';
