-- Retention and erasure (audit.purge, audit.erase, audit.maintain): what was done to the log, and
-- the retention setting. Every statement is idempotent and touches neither the log nor a table
-- that capture writes.

-- Every purge and erasure, the only changes ever made to log rows: who (the session's role and
-- the role that ran it), when, what (the cut, or the table and record) and why, and the log rows
-- it deleted or rewrote.
create table if not exists audit.operations (
    id bigint generated always as identity primary key,
    kind text not null,
    done_at timestamptz not null default pg_catalog.clock_timestamp(),
    session_role text not null default session_user,
    run_by text not null default current_user,
    cut timestamptz,
    schema_name text,
    table_name text,
    record_id text,
    reason text,
    rows_deleted bigint not null default 0,
    rows_rewritten bigint not null default 0
);
-- Reads look up the latest cut (audit._check_horizon) through this index: one row.
create index if not exists operations_cut_idx on audit.operations (cut) where kind = 'purge';

-- The retention period that audit.maintain() keeps: log rows older than now() - period are purged.
-- One row; NULL keeps everything (the default).
create table if not exists audit.retention (
    single boolean primary key default true check (single),
    period interval
);
insert into audit.retention (single, period) values (true, null) on conflict (single) do nothing;
