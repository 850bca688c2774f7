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
        perform audit._lock_log('access exclusive');
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
-- The log changes below run only where they change something: ALTER TABLE and CREATE INDEX lock
-- the log even when IF [NOT] EXISTS finds nothing to do, and a lock that writers wait for is
-- taken only through audit._lock_log (the audited tables first, then the log, all or none).
do $$
begin
    if exists (
        select from pg_catalog.pg_constraint as k
        where k.conrelid = 'audit.logs'::regclass and k.conname = 'logs_action_check'
    ) then
        perform audit._lock_log('access exclusive');
        alter table audit.logs drop constraint logs_action_check;
    end if;
end
$$;

do $$
declare
    v_index record;
begin
    for v_index in
        select i.name, i.def from (values
            -- One record's history, and state_at: the key, then capture order.
            ('logs_record_idx', '(table_name, record_id, id)'),
            -- Departures of a record from a key (UPDATE that changed the key); rare, so partial.
            ('logs_old_record_idx', '(table_name, old_record_id, id) where old_record_id is not null'),
            -- One actor's recent changes.
            ('logs_actor_idx', '(actor_email, id) where actor_email is not null'),
            -- One migration's changes.
            ('logs_migration_idx', '(migration_name, id) where migration_name is not null'),
            -- Time ranges: the log is appended in time order, so a BRIN index is tiny and cheap to keep.
            ('logs_created_at_brin', 'using brin (created_at)')
        ) as i (name, def)
        where pg_catalog.to_regclass('audit.' || i.name) is null
    loop
        perform audit._lock_log('share');
        execute pg_catalog.format('create index %I on audit.logs %s', v_index.name, v_index.def);
    end loop;
end
$$;

-- The rows where a record was the actor (audit.erase), by actor_id. Partial: capture of a row
-- without an actor id does not touch it. On a log of a million rows or more, an upgrade does not
-- build it under a lock that writers wait for: it warns, saying how to build it without one (erase
-- works without it, scanning the log). An invalid one (a CREATE INDEX CONCURRENTLY that failed)
-- counts as missing.
do $$
declare
    v_valid boolean := (
        select i.indisvalid from pg_catalog.pg_index as i
        where i.indexrelid = pg_catalog.to_regclass('audit.logs_actor_id_idx')
    );
begin
    if v_valid is null or not v_valid then
        if (select pg_catalog.count(*) from (select from audit.logs limit 1000000) as x) < 1000000 then
            perform audit._lock_log('share');
            drop index if exists audit.logs_actor_id_idx;
            create index logs_actor_id_idx on audit.logs (actor_id, id) where actor_id is not null;
        else
            raise warning using
                message = 'audit: index audit.logs_actor_id_idx (for audit.erase) not built: the log is large',
                hint = 'As the owner of audit.logs, outside a transaction, build it without stalling writers: '
                    || case when v_valid is not null then 'DROP INDEX CONCURRENTLY audit.logs_actor_id_idx; ' else '' end
                    || 'CREATE INDEX CONCURRENTLY logs_actor_id_idx ON audit.logs (actor_id, id) '
                    'WHERE actor_id IS NOT NULL';
        end if;
    end if;
end
$$;

-- Every btree key of the log ends in id, so no two keys are equal: deduplication would only spend
-- a pass over each full page before splitting it. (ALTER INDEX SET takes a lock on the index that
-- neither writers nor readers wait for; it runs only where the option is not set yet.)
do $$
declare
    v_index text;
begin
    for v_index in
        select c.relname from pg_catalog.pg_class as c
        where c.relnamespace = 'audit'::regnamespace
            and c.relname in (
                'logs_record_idx', 'logs_old_record_idx', 'logs_actor_idx', 'logs_migration_idx', 'logs_actor_id_idx'
            )
            and 'deduplicate_items=off' <> all(coalesce(c.reloptions, '{}'))
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
