-- Schema, log table, configuration tables and indexes. Every statement is idempotent.

create schema if not exists audit;
comment on schema audit is 'pg-audit-trail: audit log and time-travel reads';

-- Actor types an application may set in app.actor_type; a site may add its own rows.
create table if not exists audit.actor_types (
    name text primary key,
    description text
);

insert into audit.actor_types (name, description) values
('user', 'an end user acting through the application'),
('moderator', 'a moderator or administrator acting on someone else''s data'),
('system', 'a background job or the application itself'),
('migration', 'a schema or data migration')
on conflict (name) do nothing;

-- The append-only log. Column names follow the original design.
create table if not exists audit.logs (
    id bigint generated always as identity primary key,
    created_at timestamptz not null,
    transaction_id xid8 not null,
    schema_name text collate "C" not null,
    table_name text collate "C" not null,
    record_id text collate "C" not null,
    old_record_id text collate "C",
    action text not null,
    old_values jsonb,
    new_values jsonb,
    changed_fields text[],
    actor_email text collate "C",
    actor_type text,
    actor_id text,
    migration_name text collate "C",
    context jsonb,
    db_user text,
    application_name text,
    client_addr inet
);
-- The key and name columns compare byte for byte (collation "C"): their indexes are written by
-- every capture, and a btree under a linguistic collation pays strcoll for every comparison.
-- Logs installed by an earlier version get the collation here: their indexes are rebuilt once,
-- under an exclusive lock on the log, and the columns' statistics wait for the next ANALYZE.
do $$
declare
    v_cols text;
begin
    select pg_catalog.string_agg(pg_catalog.format('alter column %I type text collate "C"', a.attname), ', ')
    into v_cols
    from pg_catalog.pg_attribute as a
    where a.attrelid = 'audit.logs'::regclass
        and a.attname in ('schema_name', 'table_name', 'record_id', 'old_record_id', 'actor_email', 'migration_name')
        and a.attcollation <> 'pg_catalog."C"'::regcollation;
    if v_cols is not null then
        begin
            execute 'alter table audit.logs ' || v_cols;
        exception when feature_not_supported or dependent_objects_still_exist then
            -- A view, rule or policy of the site's own reads these columns: keep their collation
            -- (capture is slower, nothing else changes) rather than fail the upgrade.
            raise warning using
                message = 'audit: audit.logs keeps its collation: ' || sqlerrm,
                hint = 'Drop the objects that use these columns of audit.logs, run install.sql again, '
                    'and create them again, for faster capture.';
        end;
    end if;
end
$$;
-- No CHECK constraint on action: only the capture code writes the log, and a constraint costs
-- every capturing statement its set-up time.
alter table audit.logs drop constraint if exists logs_action_check;

-- One record's history, and state_at: the key, then capture order.
create index if not exists logs_record_idx
on audit.logs (table_name, record_id, id);
-- Departures of a record from a key (UPDATE that changed the key); rare, so partial.
create index if not exists logs_old_record_idx
on audit.logs (table_name, old_record_id, id)
where old_record_id is not null;
-- One actor's recent changes.
create index if not exists logs_actor_idx
on audit.logs (actor_email, id)
where actor_email is not null;
-- One migration's changes.
create index if not exists logs_migration_idx
on audit.logs (migration_name, id)
where migration_name is not null;
-- Time ranges: the log is appended in time order, so a BRIN index is tiny and cheap to keep.
create index if not exists logs_created_at_brin
on audit.logs using brin (created_at);

-- Every btree key of the log ends in id, so no two keys are equal: deduplication would only spend
-- a pass over each full page before splitting it.
do $$
declare
    v_index text;
begin
    foreach v_index in array array['logs_record_idx', 'logs_old_record_idx', 'logs_actor_idx', 'logs_migration_idx']
    loop
        execute pg_catalog.format('alter index audit.%I set (deduplicate_items = off)', v_index);
    end loop;
end
$$;

-- Installed version, for upgrades in place.
create table if not exists audit.meta (
    key text primary key,
    value text not null
);
