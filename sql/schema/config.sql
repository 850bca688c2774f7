-- One row per table that is or was audited. relid is the table, as regclass: pg_dump writes it as
-- the table's name and pg_restore reads it back as the restored table's new oid, so nothing here
-- depends on an oid. log_schema and log_table are the names its log rows carry (fixed at the first
-- enable, kept across renames). columns and column_attnums: the live columns audit.enable saw, by
-- name and attribute number (see audit._check_config_columns). lookup_columns: the columns
-- audit.enable(..., lookup_columns => ...) indexed for filtered reads (audit._lookup_columns).
create table if not exists audit.config (
    relid regclass primary key,
    log_schema text not null,
    log_table text not null,
    key_columns text[] not null,
    ignore_columns text[] not null default '{}',
    redact_columns text[] not null default '{}',
    snapshot boolean not null default true,
    require_actor boolean not null default false,
    enabled boolean not null default true,
    enabled_at timestamptz not null default clock_timestamp(),
    first_enabled_at timestamptz not null default clock_timestamp(),
    changed_at timestamptz not null default clock_timestamp(),
    columns text[] not null default '{}',
    column_attnums int2[],
    lookup_columns text[] not null default '{}'
);

-- Upgrades from 0.2.0 and earlier, which keyed the table by oid and knew columns by name only.
do $$
begin
    if (select a.atttypid from pg_catalog.pg_attribute as a
        where a.attrelid = 'audit.config'::regclass and a.attname = 'relid') = 'pg_catalog.oid'::regtype then
        drop view if exists audit.tables;
        alter table audit.config alter column relid type regclass;
    end if;
end
$$;
do $$
begin
    -- (ADD COLUMN IF NOT EXISTS would lock the table even where the column is there.)
    if not exists (
        select from pg_catalog.pg_attribute as a
        where a.attrelid = 'audit.config'::regclass and a.attname = 'column_attnums' and not a.attisdropped
    ) then
        alter table audit.config add column column_attnums int2[];
    end if;
    if not exists (
        select from pg_catalog.pg_attribute as a
        where a.attrelid = 'audit.config'::regclass and a.attname = 'lookup_columns' and not a.attisdropped
    ) then
        alter table audit.config add column lookup_columns text[] not null default '{}';
    end if;
end
$$;
update audit.config as c
set
    column_attnums = (
        select pg_catalog.array_agg(a.attnum order by k.ord)
        from pg_catalog.unnest(c.columns) with ordinality as k (name, ord)
        left join pg_catalog.pg_attribute as a
            on k.name = a.attname and a.attrelid = c.relid and a.attnum > 0 and not a.attisdropped
    )
where c.column_attnums is null;

-- Capture and guard functions are numbered from this sequence (audit._capture_name), not by oid.
create sequence if not exists audit.capture_names;
