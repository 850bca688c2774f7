-- pg-audit-trail 0.2.0, frozen by `make release` from sql/install.sql: the upgrade tests install it.
-- Do not edit. Install: psql -v ON_ERROR_STOP=1 -f sql/releases/audit_trail--0.2.0.sql "$DATABASE_URL"
-- pg-audit-trail: the one entry point.
--   psql -v ON_ERROR_STOP=1 -f sql/install.sql "$DATABASE_URL"
-- Runs in one transaction; running it again (or over an older version) keeps every log row and
-- regenerates the capture code of every audited table.
\set ON_ERROR_STOP 1
\set QUIET on
set client_min_messages = warning;
begin;

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

-- One row per table that is or was audited. relid is the table's oid; log_schema and
-- log_table are the names its log rows carry (fixed at the first enable, kept across renames).
create table if not exists audit.config (
    relid oid primary key,
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
    columns text[] not null default '{}'
);

-- Installed version, for upgrades in place.
create table if not exists audit.meta (
    key text primary key,
    value text not null
);
-- Internal functions (named with a leading underscore) may change their signatures between
-- versions; they are dropped here and created again below, in the same transaction. Public
-- functions keep their signatures, so objects that depend on them survive an upgrade.
drop view if exists audit.tables;

do $$
declare
    v_fn regprocedure;
begin
    for v_fn in
        select p.oid::regprocedure
        from pg_catalog.pg_proc as p
        where p.pronamespace = 'audit'::regnamespace and p.proname like '\_%'
            and p.prorettype <> 'trigger'::regtype
    loop
        execute format('drop function %s', v_fn);
    end loop;
end
$$;

-- The live columns of a relation in attribute order: name, type, whether it is a virtual
-- generated column (PostgreSQL 18) with its expression, which transition tables do not compute,
-- pos: its position among the live columns (from 1), which names it in generated code (o1, n1,
-- d1, v1), and cast_type: the type, with its modifier, that the column's text form is cast back to when
-- capture carries it as text (bit(4) stays bit(4); a domain becomes its base type, so that an old
-- value that a constraint added NOT VALID rejects can still be logged).
create or replace function audit._columns(p_relid oid)
returns table (name text, typid oid, is_virtual boolean, expr text, pos bigint, cast_type text)
language sql stable
set search_path = pg_catalog, pg_temp
as $$
    select
        a.attname::text,
        a.atttypid,
        a.attgenerated = 'v',
        case when a.attgenerated = 'v' then pg_catalog.pg_get_expr(d.adbin, d.adrelid) end,
        pg_catalog.row_number() over (order by a.attnum),
        (
            with recursive t (oid, typmod, depth) as (
                select a.atttypid, a.atttypmod, 0
                union all
                select y.typbasetype, y.typtypmod, t.depth + 1
                from t inner join pg_catalog.pg_type as y on y.oid = t.oid
                where y.typtype = 'd'
            )
            select pg_catalog.format_type(t.oid, t.typmod) from t order by t.depth desc limit 1
        )
    from pg_catalog.pg_attribute as a
    left join pg_catalog.pg_attrdef as d on d.adrelid = a.attrelid and d.adnum = a.attnum
    where a.attrelid = p_relid and a.attnum > 0 and not a.attisdropped
    order by a.attnum
$$;
-- The shape of relation p_relid: its live columns as name:type:modifier, in order. Capture code
-- is generated for one shape and checks, before it runs, that the relation still has it.
create or replace function audit._shape(p_relid oid)
returns text[]
language sql stable
set search_path = pg_catalog, pg_temp
as $$
    select coalesce(pg_catalog.array_agg(
        a.attname::text || ':' || a.atttypid::text || ':' || a.atttypmod::text order by a.attnum
    ), '{}')
    from pg_catalog.pg_attribute as a
    where a.attrelid = p_relid and a.attnum > 0 and not a.attisdropped
$$;

-- Whether relation p_relid still has the shape its capture code was generated for. Declared
-- immutable on purpose: capture calls it with constant arguments in a query that also reads the
-- relation, so the planner folds it into the cached plan once, and PostgreSQL plans that query
-- again whenever the relation's definition changes (ALTER TABLE).
create or replace function audit._shape_matches(p_relid oid, p_shape text[])
returns boolean
language sql immutable
set search_path = pg_catalog, pg_temp
as $$
    select audit._shape(p_relid) = p_shape
$$;
-- Raises an error; usable inside an expression (returns text so it fits anywhere a value does).
create or replace function audit._fail(p_sqlstate text, p_message text, p_hint text default null)
returns text
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
    raise exception using errcode = p_sqlstate, message = p_message, hint = coalesce(p_hint, '');
end
$$;
-- SQL expression giving the canonical JSON value of one key column, session-independent:
-- numerics lose trailing zeros, timestamptz is written in UTC, dates and timestamps in ISO 8601.
create or replace function audit._key_json_expr(p_expr text, p_typid oid)
returns text
language sql immutable
set search_path = pg_catalog, pg_temp
as $$
    select case p_typid
        when 'numeric'::regtype then format('pg_catalog.to_jsonb(pg_catalog.trim_scale(%s))', p_expr)
        when 'timestamptz'::regtype then
            format('pg_catalog.to_jsonb((pg_catalog.to_jsonb((%s) at time zone ''UTC'') #>> ''{}'') || ''+00:00'')',
                p_expr)
        else format('pg_catalog.to_jsonb(%s)', p_expr)
    end
$$;

-- SQL expression giving the canonical text of one key column (record_id of a one-column key).
create or replace function audit._key_text_expr(p_expr text, p_typid oid)
returns text
language sql immutable
set search_path = pg_catalog, pg_temp
as $$
    select case
        when p_typid in ('int2'::regtype, 'int4'::regtype, 'int8'::regtype, 'uuid'::regtype, 'oid'::regtype)
            then format('(%s)::text', p_expr)
        when p_typid in ('text'::regtype, 'varchar'::regtype) then format('(%s)::text', p_expr)
        else format('(%s #>> ''{}'')', audit._key_json_expr(p_expr, p_typid))
    end
$$;

-- SQL expression giving record_id from the key columns' values. p_colfmt is a format() pattern for
-- one column's value: %1$s is the quoted column name, %2$s its position among the live columns
-- (from 1), %3$s its type (audit._columns' cast_type). One key column: its canonical text; several: the jsonb text of
-- {"col": value, ...}.
create or replace function audit._record_id_expr(p_relid oid, p_key text[], p_colfmt text)
returns text
language sql stable
set search_path = pg_catalog, pg_temp
as $$
    with cols as (
        select
            k.ord,
            k.col,
            c.typid,
            format(p_colfmt, pg_catalog.quote_ident(k.col), c.pos, c.cast_type) as expr
        from pg_catalog.unnest(p_key) with ordinality as k (col, ord)
        inner join audit._columns(p_relid) as c on c.name = k.col
    )
    select case
        when pg_catalog.cardinality(p_key) = 1 then
            (select audit._key_text_expr(cols.expr, cols.typid) from cols)
        else format('pg_catalog.jsonb_build_object(%s)::text', (
            select pg_catalog.string_agg(
                format('%L, %s', cols.col, audit._key_json_expr(cols.expr, cols.typid)), ', ' order by cols.ord
            )
            from cols
        ))
    end
$$;

-- Whether a column's values travel as text through the arrays that pair old and new rows of an
-- UPDATE: arrays (array_agg would nest them) and every type compared by its text form.
create or replace function audit._as_text(p_typid oid)
returns boolean
language sql stable
set search_path = pg_catalog, pg_temp
as $$
    select p_typid not in (
        'int2'::regtype, 'int4'::regtype, 'int8'::regtype, 'text'::regtype, 'varchar'::regtype,
        'bool'::regtype, 'uuid'::regtype, 'date'::regtype, 'timestamp'::regtype,
        'timestamptz'::regtype, 'bytea'::regtype, 'oid'::regtype, 'name'::regtype,
        'bpchar'::regtype, '"char"'::regtype, 'numeric'::regtype
    )
$$;

-- SQL expression reading column p_col of transition-table alias p_alias for pairing old and new
-- rows: the value, or its text where it is compared as text (audit._as_text) and for a virtual
-- generated column, whose expression is evaluated here (PostgreSQL 18 leaves virtual columns
-- uncomputed in transition tables; the expression's column names resolve to p_alias's row).
create or replace function audit._carrier(p_alias text, p_col text, p_typid oid, p_virtual_expr text)
returns text
language sql stable
set search_path = pg_catalog, pg_temp
as $$
    select case
        when p_virtual_expr is not null then format('(%s)::text', p_virtual_expr)
        when audit._as_text(p_typid) then format('%s.%I::text', p_alias, p_col)
        else format('%s.%I', p_alias, p_col)
    end
$$;

-- SQL expression that is true when two values of one column differ. Types whose equality is
-- identity compare with IS DISTINCT FROM; every other type compares its text form, so that
-- 1.0 -> 1.00, '1 day' -> '24 hours' or a case change in citext is a change; text compares
-- byte for byte (collation "C"), so a nondeterministic collation cannot hide a change.
create or replace function audit._distinct_expr(p_a text, p_b text, p_typid oid)
returns text
language sql stable
set search_path = pg_catalog, pg_temp
as $$
    select case
        when p_typid = 'numeric'::regtype or audit._as_text(p_typid)
            then format('(%s)::text collate "C" is distinct from (%s)::text collate "C"', p_a, p_b)
        when p_typid in ('text'::regtype, 'varchar'::regtype, 'bpchar'::regtype, 'name'::regtype)
            then format('%s collate "C" is distinct from %s collate "C"', p_a, p_b)
        else format('%s is distinct from %s', p_a, p_b)
    end
$$;
-- app.audit_context as jsonb; raises SQLSTATE 22023 naming the setting unless it is a JSON object.
create or replace function audit._parse_context(p_text text)
returns jsonb
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
    v jsonb;
begin
    begin
        v := p_text::jsonb;
    exception when others then
        raise exception using
            errcode = '22023',
            message = format('audit: app.audit_context is not valid JSON: %s', p_text),
            hint = 'Set app.audit_context to a JSON object, e.g. {"request_id": "..."}.';
    end;
    if pg_catalog.jsonb_typeof(v) <> 'object' then
        raise exception using
            errcode = '22023',
            message = format('audit: app.audit_context must be a JSON object, not %s: %s',
                pg_catalog.jsonb_typeof(v), p_text),
            hint = 'Set app.audit_context to a JSON object, e.g. {"request_id": "..."}.';
    end if;
    return v;
end
$$;
-- The actor type of a log row, as an SQL expression over four others: the type the application
-- set, else 'migration' while a migration runs, else 'user' when an actor is named, else NULL.
-- The one statement of this rule, for capture (over PL/pgSQL variables) and for SNAPSHOT rows.
create or replace function audit._actor_type_expr(p_type text, p_email text, p_id text, p_migration text)
returns text
language sql immutable
set search_path = pg_catalog, pg_temp
as $$
    select format(
        'coalesce(%s, case when %s is not null then ''migration'' '
        'when %s is not null or %s is not null then ''user'' end)',
        p_type, p_migration, p_email, p_id
    )
$$;

-- The ten context expressions of a log row, for log rows written outside a trigger (SNAPSHOT).
create or replace function audit._context_exprs()
returns text[]
language sql immutable
set search_path = pg_catalog, pg_temp
as $$
    select array[
        'pg_catalog.clock_timestamp()',
        'pg_catalog.pg_current_xact_id()',
        $e$nullif(pg_catalog.current_setting('app.actor_email', true), '')$e$,
        audit._actor_type_expr(
            $e$nullif(pg_catalog.current_setting('app.actor_type', true), '')$e$,
            $e$nullif(pg_catalog.current_setting('app.actor_email', true), '')$e$,
            $e$nullif(pg_catalog.current_setting('app.actor_id', true), '')$e$,
            $e$nullif(pg_catalog.current_setting('app.current_migration', true), '')$e$
        ),
        $e$nullif(pg_catalog.current_setting('app.actor_id', true), '')$e$,
        $e$nullif(pg_catalog.current_setting('app.current_migration', true), '')$e$,
        $e$audit._parse_context(nullif(pg_catalog.current_setting('app.audit_context', true), ''))$e$,
        'session_user',
        $e$nullif(pg_catalog.current_setting('application_name'), '')$e$,
        'pg_catalog.inet_client_addr()'
    ]
$$;
-- Fails with 22023 when p_type is set and is not a row of audit.actor_types; p_what names it in the
-- message (the setting app.actor_type, or audit.set_actor's argument). Capture tests the type
-- itself, and calls this only to raise the error.
create or replace function audit._check_actor_type(p_type text, p_what text default 'app.actor_type')
returns void
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
    if p_type is not null and not exists (select from audit.actor_types as t where t.name = p_type) then
        raise exception using
            errcode = '22023',
            message = format('audit: %s %L is not a known actor type', p_what, p_type),
            hint = 'Known types are the rows of audit.actor_types; add your own there.';
    end if;
end
$$;
-- LATERAL joins that follow "<transition table> as <alias>" in generated capture SQL:
--   v  the values of virtual generated columns (PostgreSQL 18), which transition tables leave
--      uncomputed, as v1..vN by column position; computed first, where the row's columns are the
--      only names in scope, so that their expressions (unqualified) cannot be ambiguous;
--   j  (p_json) the row as the log stores it, whose to_jsonb(j.*) is the row's jsonb: redacted
--      columns read '[redacted]' (NULL stays NULL), and the columns come in jsonb's own key order
--      (shorter names first, then bytewise), so that to_jsonb need not sort the keys (measured:
--      about 40% of its cost).
create or replace function audit._row_laterals(p_relid oid, p_cfg audit.config, p_alias text, p_json boolean)
returns text
language sql stable
set search_path = pg_catalog, pg_temp
as $$
    select pg_catalog.concat_ws(' ',
        'cross join lateral (select ' || pg_catalog.string_agg(
            pg_catalog.format('(%s) as v%s', c.expr, c.pos), ', ' order by c.pos) filter (where c.is_virtual)
            || ') as v',
        case when p_json then pg_catalog.format('cross join lateral (select %s) as j', pg_catalog.string_agg(
            pg_catalog.format('%s as %I',
                case when c.name operator(pg_catalog.=) any(p_cfg.redact_columns)
                    then pg_catalog.format('case when %s is null then null else ''[redacted]'' end', c.val)
                    else c.val
                end, c.name),
            ', ' order by pg_catalog.octet_length(c.name), c.name collate "C")) end)
    from (
        select x.name, x.is_virtual, x.expr, x.pos,
            case when x.is_virtual then 'v.v' || x.pos else pg_catalog.format('%s.%I', p_alias, x.name) end as val
        from audit._columns(p_relid) as x
    ) as c
$$;
-- The INSERT ... SELECT that writes log rows for one statement on relation p_relid.
-- p_op: INSERT, DELETE, TRUNCATE (every row still in the relation), SNAPSHOT (every row, at
-- enable), ABSENT (records the log holds as present that the relation no longer has: they went
-- while auditing was off, and are logged as deleted, with their last logged state as old values),
-- or UPDATE_ONE, UPDATE, UPDATE_LARGE: the old and new rows of an UPDATE, paired by
-- their position in the transition tables (one row each; column arrays zipped by unnest; or a
-- join on row_number, for statements too large for arrays, to be planned per statement).
-- p_ctx holds ten SQL expressions, in log-column order: created_at, transaction_id, actor_email,
-- actor_type, actor_id, migration_name, context, db_user, application_name, client_addr.
-- Columns are those of the relation now; options come from p_cfg, the audited table's config.
create or replace function audit._capture_sql(p_relid oid, p_op text, p_cfg audit.config, p_ctx text[])
returns text
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
    v_rel text := p_relid::regclass::text;
    v_head text;
    v_json text;
    v_json_x text;
    v_json_y text;
    v_virt_x text;
    v_nonnull text;
    v_changed text;
    v_oldv text;
    v_oldv_one text;
    v_pairs text;
    v_filter text;
    v_old_cols text;
    v_new_cols text;
    v_old_aggs text;
    v_new_aggs text;
    v_unnest text;
    v_source text;
begin
    v_head := format(
        'insert into audit.logs (created_at, transaction_id, actor_email, actor_type, actor_id, '
        'migration_name, context, db_user, application_name, client_addr, schema_name, table_name, '
        'record_id, old_record_id, action, old_values, new_values, changed_fields) select %s, %L, %L, ',
        pg_catalog.array_to_string(p_ctx, ', '), p_cfg.log_schema, p_cfg.log_table
    );
    -- Redacted columns overwrite the row's jsonb: '[redacted]', or null for a NULL value. They must
    -- still exist: rather than store a renamed secret in clear, capture fails until audit.enable.
    perform audit._check_columns(p_relid, 'redact_columns (run audit.enable again after renaming)',
        p_cfg.redact_columns);
    perform audit._check_columns(p_relid, 'key_columns (run audit.enable again after renaming)',
        p_cfg.key_columns);
    if p_op = 'ABSENT' then
        return v_head || format(
            't.record_id, null, ''DELETE'', t.state, null, '
            'array(select k from pg_catalog.jsonb_each(t.state) as e (k, v) '
            'where v operator(pg_catalog.<>) ''null'' order by k collate "C") '
            'from audit.table_at(%L, pg_catalog.clock_timestamp()) as t '
            'where t.record_id not in (select %s from %s as x)',
            v_rel, audit._record_id_expr(p_relid, p_cfg.key_columns, 'x.%1$s'), v_rel
        );
    end if;
    v_json_x := audit._row_laterals(p_relid, p_cfg, 'x', true);
    v_json_y := audit._row_laterals(p_relid, p_cfg, 'y', true);
    v_virt_x := audit._row_laterals(p_relid, p_cfg, 'x', false);

    if p_op in ('INSERT', 'SNAPSHOT', 'DELETE', 'TRUNCATE') then
        v_json := 'pg_catalog.to_jsonb(j.*)';
        -- The non-null columns, sorted. A row without NULLs (the common case) takes the constant
        -- list of all columns, which costs less than building and filtering an array per row.
        -- (IS NOT NULL of a composite value is false when one of its fields is NULL: num_nulls
        -- asks whether the value itself is NULL.)
        select format('case when %s then %L::text[] else pg_catalog.array_remove(array[%s]::text[], null) end',
            pg_catalog.string_agg(v.nonnull, ' and ' order by c.pos),
            pg_catalog.array_agg(c.name order by c.name collate "C"),
            pg_catalog.string_agg(format('case when %s then %L end', v.nonnull, c.name),
                ', ' order by c.name collate "C"))
        into v_nonnull
        from audit._columns(p_relid) as c
        cross join lateral (
            select case when c.is_virtual then 'v.v' || c.pos else format('x.%I', c.name) end as val
        ) as w
        cross join lateral (
            select case
                when exists (
                    select from pg_catalog.pg_type as t
                    where t.oid = pg_catalog.to_regtype(c.cast_type) and t.typtype = 'c'
                ) then format('pg_catalog.num_nulls(%s) operator(pg_catalog.=) 0', w.val)
                else format('%s is not null', w.val)
            end as nonnull
        ) as v;
        v_source := case p_op
            when 'INSERT' then 'audit_new as x'
            when 'DELETE' then 'audit_old as x'
            when 'SNAPSHOT' then v_rel || ' as x'
            else 'only ' || v_rel || ' as x'
        end || ' ' || v_json_x;
        return v_head || format(
            '%s, null, %L, %s, %s, %s from %s',
            audit._record_id_expr(p_relid, p_cfg.key_columns, 'x.%1$s'),
            p_op,
            case when p_op in ('DELETE', 'TRUNCATE') then v_json else 'null' end,
            case when p_op in ('INSERT', 'SNAPSHOT') then v_json else 'null' end,
            v_nonnull, v_source
        );
    end if;

    if p_op not in ('UPDATE_ONE', 'UPDATE', 'UPDATE_LARGE') then
        raise exception 'audit._capture_sql: unknown operation %', p_op;
    end if;

    -- Old and new rows become columns o1..oN / n1..nN (text for types compared as text), and dK
    -- says whether column K differs: computed once per row, then used for changed_fields, for
    -- old_values and for the filter. One-row statements take old_values from the old row's jsonb
    -- minus the unchanged keys: far fewer expressions to set up, which is what a one-row statement
    -- pays for (the set-up is per statement, and the work is per row).
    select
        pg_catalog.string_agg(format('%s as o%s', r.old_carrier, c.pos), ', ' order by c.pos),
        pg_catalog.string_agg(format('%s as n%s', r.new_carrier, c.pos), ', ' order by c.pos),
        pg_catalog.string_agg(format('pg_catalog.array_agg(%s) as o%s', r.old_carrier, c.pos), ', ' order by c.pos),
        pg_catalog.string_agg(format('pg_catalog.array_agg(%s) as n%s', r.new_carrier, c.pos), ', ' order by c.pos),
        pg_catalog.string_agg(format(
            'pg_catalog.unnest(a.o%1$s) as o%1$s, pg_catalog.unnest(b.n%1$s) as n%1$s', c.pos
        ), ', ' order by c.pos),
        pg_catalog.string_agg(format('o%1$s, n%1$s, %2$s as d%1$s', c.pos, audit._distinct_expr(
            'o' || c.pos, 'n' || c.pos, case when c.is_virtual then 'text'::regtype else c.typid end
        )), ', ' order by c.pos),
        format('pg_catalog.array_remove(array[%s]::text[], null)', pg_catalog.string_agg(format(
            'case when d%s then %L end', c.pos, c.name
        ), ', ' order by c.name collate "C")),
        -- (array_to_string skips NULLs like concat_ws, and takes more than 100 columns.)
        format('(''{'' || pg_catalog.array_to_string(array[%s]::text[], '','') || ''}'')::jsonb',
            pg_catalog.string_agg(format(
            'case when d%s then %L || %s end',
            c.pos,
            pg_catalog.to_json(c.name)::text || ':',
            case
                when c.name = any(p_cfg.redact_columns)
                    then format('case when o%s is null then ''null'' else ''"[redacted]"'' end', c.pos)
                when audit._as_text(c.typid) or c.is_virtual
                    then format('coalesce(pg_catalog.to_json(o%s::%s)::text, ''null'')', c.pos, c.cast_type)
                else format('coalesce(pg_catalog.to_json(o%s)::text, ''null'')', c.pos)
            end
        ), ', ' order by c.pos)),
        format('oj operator(pg_catalog.-) pg_catalog.array_remove(array[%s]::text[], null)',
            pg_catalog.string_agg(format('case when not d%s then %L end', c.pos, c.name), ', ' order by c.pos)),
        coalesce(pg_catalog.string_agg(format('d%s', c.pos), ' or ' order by c.pos)
            filter (where not c.name = any(p_cfg.ignore_columns)), 'false')
    into v_old_cols, v_new_cols, v_old_aggs, v_new_aggs, v_unnest, v_pairs, v_changed, v_oldv, v_oldv_one,
        v_filter
    from audit._columns(p_relid) as c
    cross join lateral (
        select
            audit._carrier('x', c.name, c.typid, case when c.is_virtual then 'v.v' || c.pos end) as old_carrier,
            audit._carrier('y', c.name, c.typid, case when c.is_virtual then 'v.v' || c.pos end) as new_carrier
    ) as r;

    -- Rows are paired by their position in the transition tables. The one-row and array paths run
    -- only when both tables hold the same number of rows; the join of large statements marks each
    -- side (op, np), so that a row without a partner fails the statement rather than go unlogged.
    v_source := case p_op
        when 'UPDATE_ONE' then format(
            '(select pg_catalog.to_jsonb(j.*) as oj, %s from audit_old as x %s) as o, '
            '(select pg_catalog.to_jsonb(j.*) as nj, %s from audit_new as y %s) as n',
            v_old_cols, v_json_x, v_new_cols, v_json_y)
        when 'UPDATE' then format(
            '(select pg_catalog.unnest(b.nj) as nj, '
            '%s from (select %s from audit_old as x %s) as a, '
            '(select pg_catalog.array_agg(pg_catalog.to_jsonb(j.*)) as nj, %s '
            'from audit_new as y %s) as b) as z',
            v_unnest, v_old_aggs, v_virt_x, v_new_aggs, v_json_y)
        else format(
            '(select pg_catalog.row_number() over () as rn, true as op, %s from audit_old as x %s) as o '
            'full join (select pg_catalog.row_number() over () as rn, true as np, pg_catalog.to_jsonb(j.*) as nj, %s '
            'from audit_new as y %s) as n on o.rn operator(pg_catalog.=) n.rn',
            v_old_cols, v_virt_x, v_new_cols, v_json_y)
    end;

    return v_head || format(
        '%s, case when %s <> %s then %s end, ''UPDATE'', %s, d.nj, %s '
        'from (select %snj, %s from %s offset 0) as d where %s',
        case when p_op = 'UPDATE_LARGE'
            then format('case when d.op is null or d.np is null then audit._fail(''XX000'', %L) else %s end',
                format('audit: cannot pair the old and new rows of an UPDATE on %s', v_rel),
                audit._record_id_expr(p_relid, p_cfg.key_columns, 'n%2$s::%3$s'))
            else audit._record_id_expr(p_relid, p_cfg.key_columns, 'n%2$s::%3$s')
        end,
        audit._record_id_expr(p_relid, p_cfg.key_columns, 'o%2$s::%3$s'),
        audit._record_id_expr(p_relid, p_cfg.key_columns, 'n%2$s::%3$s'),
        audit._record_id_expr(p_relid, p_cfg.key_columns, 'o%2$s::%3$s'),
        case when p_op = 'UPDATE_ONE' then v_oldv_one else v_oldv end,
        v_changed,
        case p_op when 'UPDATE_ONE' then 'oj, ' when 'UPDATE_LARGE' then 'op, np, ' else '' end,
        v_pairs, v_source,
        case when p_op = 'UPDATE_LARGE' then format('d.op is null or d.np is null or %s', v_filter)
            else v_filter end
    );
end
$$;
-- Creates (or replaces) the capture function of relation p_relid, an audited table or one of the
-- partitions of an audited partitioned table, and its statement-level triggers. The function is
-- generated for the relation's columns and the table's options, and runs as its owner.
create or replace function audit._capture_function(p_relid oid, p_cfg audit.config)
returns void
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
    v_fn text := format('capture_%s', p_relid);
    v_rel text := p_relid::regclass::text;
    v_is_leaf boolean := (select c.relkind <> 'p' from pg_catalog.pg_class as c where c.oid = p_relid);
    v_vars text [] := array[
        'v_ts', 'v_xid', 'v_email', 'v_type', 'v_id', 'v_mig', 'v_ctx', 'v_user', 'v_app', 'v_addr'
    ];
    v_params text [] := array['$1', '$2', '$3', '$4', '$5', '$6', '$7', '$8', '$9', '$10'];
    v_shape text [] := audit._shape(p_relid);
    v_body text;
begin
    v_body := format($body$
#variable_conflict use_variable
declare
    v_ts timestamptz := pg_catalog.clock_timestamp();
    v_xid xid8 := pg_catalog.pg_current_xact_id();
    v_email text := nullif(pg_catalog.current_setting('app.actor_email', true), '');
    v_type text := nullif(pg_catalog.current_setting('app.actor_type', true), '');
    v_id text := nullif(pg_catalog.current_setting('app.actor_id', true), '');
    v_mig text := nullif(pg_catalog.current_setting('app.current_migration', true), '');
    v_ctx_text text := nullif(pg_catalog.current_setting('app.audit_context', true), '');
    v_ctx jsonb;
    v_user text := session_user;
    v_app text := nullif(pg_catalog.current_setting('application_name'), '');
    v_addr inet := pg_catalog.inet_client_addr();
    v_cfg audit.config;
    v_rows bigint;
    v_ok boolean;
    v_old_rows bigint;
    v_work_mem text;
    v_many_new boolean;
    v_many_old boolean;
begin
    if v_type is not null then
        if not exists (select from audit.actor_types as t where t.name operator(pg_catalog.=) v_type) then
            perform audit._check_actor_type(v_type);
        end if;
    end if;
    v_type := %12$s;
    if v_ctx_text is not null then
        v_ctx := audit._parse_context(v_ctx_text);
    end if;
%1$s    -- Columns changed since audit.enable: build the statement for the table as it is now. The
    -- check is folded into the cached plan, which PostgreSQL makes again after ALTER TABLE.
    -- (A plan that reads a transition table depends on the table itself.) TRUNCATE always builds
    -- its statement for the table as it is now, under its current name. One branch per event,
    -- so that a one-row statement evaluates as few PL/pgSQL expressions as it can.
    if tg_op = 'UPDATE' then
        select s.ok, exists (select from audit_new offset 1), exists (select from audit_old offset 1)
        into v_ok, v_many_new, v_many_old
        from (select audit._shape_matches(%3$s, %2$L::text[]) as ok) as s;
        if v_ok then
            if not v_many_new and not v_many_old then
                %9$s;
                -- Nothing logged: nothing changed, or no row at all; but never a row without its
                -- pair. (Nested, so that a logged row costs only the test of FOUND.)
                if not found then
                    if exists (select from audit_new) <> exists (select from audit_old) then
                        perform audit._fail('XX000', %11$L);
                    end if;
                end if;
                return null;
            end if;
            select (select pg_catalog.count(*) from audit_new), (select pg_catalog.count(*) from audit_old)
            into v_rows, v_old_rows;
            if v_rows = v_old_rows and v_rows <= 1000 then
                %6$s;
            else
                -- Many rows: a join planned for this statement (the cached plans assume few rows),
                -- with room to sort in memory. Old and new rows that differ in number also come
                -- here: the join leaves a row without a partner, and the statement fails rather
                -- than pair wrongly.
                v_work_mem := pg_catalog.current_setting('work_mem');
                perform pg_catalog.set_config('work_mem', '256MB', true);
                execute %7$L using v_ts, v_xid, v_email, v_type, v_id, v_mig, v_ctx, v_user, v_app, v_addr;
                perform pg_catalog.set_config('work_mem', v_work_mem, true);
            end if;
            return null;
        end if;
    elsif tg_op = 'INSERT' then
        select s.ok into v_ok
        from (select audit._shape_matches(%3$s, %2$L::text[]) as ok) as s
        left join (select from audit_new limit 0) as r on true;
        if v_ok then
            %5$s;
            return null;
        end if;
    elsif tg_op = 'DELETE' then
        select s.ok into v_ok
        from (select audit._shape_matches(%3$s, %2$L::text[]) as ok) as s
        left join (select from audit_old limit 0) as r on true;
        if v_ok then
            %8$s;
            return null;
        end if;
    end if;
    -- The table's columns changed since audit.enable, or TRUNCATE: the statement for the table as
    -- it is now (an UPDATE's by the join, which also pairs rows of unequal number).
    select c.* into v_cfg from audit.config as c where c.relid operator(pg_catalog.=) %10$s;
    execute audit._capture_sql(tg_relid, case when tg_op = 'UPDATE' then 'UPDATE_LARGE' else tg_op end,
        v_cfg, %4$L::text[])
        using v_ts, v_xid, v_email, v_type, v_id, v_mig, v_ctx, v_user, v_app, v_addr;
    return null;
end
$body$,
        case when p_cfg.require_actor then format($require$
    if v_email is null and v_id is null and v_mig is null then
        -- require_actor: a statement that touched no row changed nothing, and needs no actor.
        declare
            v_touched boolean;
        begin
            if tg_op = 'INSERT' or tg_op = 'UPDATE' then
                v_touched := exists (select from audit_new);
            elsif tg_op = 'DELETE' then
                v_touched := exists (select from audit_old);
            else
                execute pg_catalog.format('select exists (select from only %%s)', tg_relid::regclass)
                into v_touched;
            end if;
            if v_touched then
                raise exception using
                    errcode = '42501',
                    message = pg_catalog.format('audit: table %%s requires an actor, and none is set', %1$L),
                    hint = 'Call audit.set_actor(email, type) or audit.set_migration(name) in the transaction first.';
            end if;
        end;
    end if;
$require$, p_cfg.log_schema || '.' || p_cfg.log_table) else '' end,
        v_shape, p_relid,
        v_params,
        audit._capture_sql(p_relid, 'INSERT', p_cfg, v_vars),
        audit._capture_sql(p_relid, 'UPDATE', p_cfg, v_vars),
        audit._capture_sql(p_relid, 'UPDATE_LARGE', p_cfg, v_params),
        audit._capture_sql(p_relid, 'DELETE', p_cfg, v_vars),
        audit._capture_sql(p_relid, 'UPDATE_ONE', p_cfg, v_vars),
        p_cfg.relid,
        format('audit: cannot pair the old and new rows of an UPDATE on %s', v_rel),
        audit._actor_type_expr('v_type', 'v_email', 'v_id', 'v_mig')
    );

    execute format(
        'create or replace function audit.%I() returns trigger language plpgsql security definer '
        'set search_path = pg_catalog, pg_temp as %L',
        v_fn, v_body
    );
    execute format('revoke all on function audit.%I() from public', v_fn);
    execute format('comment on function audit.%I() is %L', v_fn,
        format('pg-audit-trail capture for %s (generated by audit.enable)', v_rel));

    execute format(
        'create or replace trigger audit_trail_insert after insert on %s referencing new table as audit_new '
        'for each statement execute function audit.%I()', v_rel, v_fn
    );
    execute format(
        'create or replace trigger audit_trail_update after update on %s '
        'referencing old table as audit_old new table as audit_new '
        'for each statement execute function audit.%I()', v_rel, v_fn
    );
    execute format(
        'create or replace trigger audit_trail_delete after delete on %s referencing old table as audit_old '
        'for each statement execute function audit.%I()', v_rel, v_fn
    );
    if v_is_leaf then
        execute format(
            'create or replace trigger audit_trail_truncate before truncate on %s '
            'for each statement execute function audit.%I()', v_rel, v_fn
        );
    end if;
end
$$;
-- Drops the capture triggers and function of one relation, if present.
create or replace function audit._drop_capture(p_relid oid)
returns void
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
    v_trigger text;
begin
    for v_trigger in
        select t.tgname from pg_catalog.pg_trigger as t
        where t.tgrelid = p_relid and t.tgname in (
            'audit_trail_insert', 'audit_trail_update', 'audit_trail_delete', 'audit_trail_truncate'
        )
    loop
        execute format('drop trigger %I on %s', v_trigger, p_relid::regclass);
    end loop;
    execute format('drop function if exists audit.%I()', format('capture_%s', p_relid));
end
$$;
-- For a partitioned table: (re)creates a row-level BEFORE trigger on it, which PostgreSQL copies to
-- every partition, present and future. It lets writes through on the partitions that have capture
-- triggers and refuses them, with SQLSTATE 55000, on a partition created or attached after
-- audit.enable, whose direct writes would otherwise go unlogged.
create or replace function audit._partition_guard(p_root oid)
returns void
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
    v_fn text := format('guard_%s', p_root);
    v_covered oid [] := (select pg_catalog.array_agg(r) from audit._relations(p_root) as r);
begin
    execute format(
        'create or replace function audit.%I() returns trigger language plpgsql security definer '
        'set search_path = pg_catalog, pg_temp as %L',
        v_fn,
        format($body$
begin
    if tg_relid operator(pg_catalog.<>) all (%L::oid[]) then
        raise exception using
            errcode = '55000',
            message = pg_catalog.format(
                'audit: partition %%s of audited table %%s is not covered by the audit trail yet',
                tg_relid::regclass, %L),
            hint = pg_catalog.format('It was created or attached after audit.enable; run SELECT audit.enable(%%L).',
                %L);
    end if;
    if tg_op operator(pg_catalog.=) 'DELETE' then
        return old;
    end if;
    return new;
end
$body$, v_covered, p_root::regclass::text, p_root::regclass::text)
    );
    execute format('revoke all on function audit.%I() from public', v_fn);
    execute format(
        'create or replace trigger audit_trail_partition_guard before insert or update or delete on %s '
        'for each row execute function audit.%I()', p_root::regclass, v_fn
    );
end
$$;
-- The relations that carry capture triggers for audited table p_relid: the table itself, or a
-- partitioned table and every partition below it.
create or replace function audit._relations(p_relid oid)
returns setof oid
language sql stable
set search_path = pg_catalog, pg_temp
as $$
    select t.relid::oid from pg_catalog.pg_partition_tree(p_relid) as t
    union
    select p_relid
$$;
-- Raises 42703 naming the table, the option and the column if any of p_cols is not a column of p_relid.
create or replace function audit._check_columns(p_relid oid, p_option text, p_cols text[])
returns void
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
    v_bad text;
begin
    select c into v_bad
    from pg_catalog.unnest(p_cols) as c
    where c is null or c not in (select a.name from audit._columns(p_relid) as a)
    limit 1;
    if found then
        raise exception using
            errcode = '42703',
            message = format('audit: %s names column %s, which table %s does not have',
                p_option, coalesce(quote_ident(v_bad), 'NULL'), p_relid::regclass);
    end if;
end
$$;
-- Switches auditing on for a table, or changes its options when it is already on. The first time
-- (and again after audit.disable) every existing row is logged once as SNAPSHOT unless snapshot
-- is false. Run it again after ALTER TABLE so the capture code matches the table's columns.
create or replace function audit.enable(
    tbl regclass,
    ignore_columns text[] default '{}',
    redact_columns text[] default '{}',
    snapshot boolean default true,
    key_columns text[] default null,
    require_actor boolean default false
)
returns void
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
    v_class pg_catalog.pg_class;
    v_key text [];
    v_cfg audit.config;
    v_old audit.config;
    v_rel oid;
    v_nullable text;
    v_other text;
    v_schema text;
    v_now timestamptz := pg_catalog.clock_timestamp();
begin
    if tbl is null then
        raise exception using errcode = '22004', message = 'audit.enable: tbl must not be NULL';
    end if;
    select c.* into v_class from pg_catalog.pg_class as c where c.oid = tbl;
    if v_class.relispartition then
        raise exception using
            errcode = '42809',
            message = format('audit: %s is a partition; enable auditing on its partitioned table %s',
                tbl, (select i.inhparent::regclass from pg_catalog.pg_inherits as i where i.inhrelid = tbl)),
            hint = 'The partitioned table''s auditing covers every partition, and rows that move between them.';
    end if;
    if v_class.relkind not in ('r', 'p') then
        raise exception using
            errcode = '42809',
            message = format('audit: %s is not a table (relkind %s); only tables can be audited', tbl,
                v_class.relkind);
    end if;

    -- SNAPSHOT rows (and the DELETE rows of records gone while auditing was off) carry the
    -- application's context like captured rows: an unknown actor type fails here as it does there.
    perform audit._check_actor_type(nullif(pg_catalog.current_setting('app.actor_type', true), ''));
    v_schema := (select n.nspname::text from pg_catalog.pg_namespace as n where n.oid = v_class.relnamespace);
    ignore_columns := coalesce(ignore_columns, '{}');
    redact_columns := coalesce(redact_columns, '{}');
    perform audit._check_columns(tbl, 'ignore_columns', ignore_columns);
    perform audit._check_columns(tbl, 'redact_columns', redact_columns);

    if key_columns is not null then
        if pg_catalog.cardinality(key_columns) = 0 then
            raise exception using errcode = '22023', message = format(
                'audit: key_columns for table %s is empty; name the columns that identify a row', tbl);
        end if;
        perform audit._check_columns(tbl, 'key_columns', key_columns);
        if (select pg_catalog.count(distinct k) from pg_catalog.unnest(key_columns) as k)
            <> pg_catalog.cardinality(key_columns) then
            raise exception using errcode = '22023', message = format(
                'audit: key_columns for table %s names a column twice: %s', tbl, key_columns);
        end if;
        select k into v_nullable
        from pg_catalog.unnest(key_columns) as k
        inner join pg_catalog.pg_attribute as a on a.attrelid = tbl and a.attname = k
        where not a.attnotnull
        limit 1;
        if found then
            raise exception using errcode = '22023', message = format(
                'audit: key column %s of table %s must be NOT NULL', quote_ident(v_nullable), tbl),
                hint = 'A key identifies a record in the log; a NULL key cannot.';
        end if;
        v_key := key_columns;
    else
        select pg_catalog.array_agg(a.attname::text order by k.ord) into v_key
        from pg_catalog.pg_index as i
        cross join lateral pg_catalog.unnest(i.indkey) with ordinality as k (attnum, ord)
        inner join pg_catalog.pg_attribute as a on a.attrelid = i.indrelid and a.attnum = k.attnum
        where i.indrelid = tbl and i.indisprimary;
        if v_key is null then
            raise exception using
                errcode = '55000',
                message = format('audit: table %s has no primary key', tbl),
                hint = 'Add a primary key, or pass key_columns => array[...] naming NOT NULL columns '
                    'that identify a row.';
        end if;
    end if;

    select k into v_other from pg_catalog.unnest(v_key) as k
    where k = any(ignore_columns) or k = any(redact_columns) limit 1;
    if found then
        raise exception using errcode = '22023', message = format(
            'audit: key column %s of table %s cannot be ignored or redacted', quote_ident(v_other), tbl);
    end if;

    if snapshot and pg_catalog.current_setting('transaction_isolation') <> 'read committed' then
        raise exception using
            errcode = '25000',
            message = format('audit: enabling %s takes a snapshot, which needs a READ COMMITTED transaction, not %s',
                tbl, pg_catalog.current_setting('transaction_isolation')),
            hint = 'In REPEATABLE READ or SERIALIZABLE the snapshot would show the table as it was when the '
                'transaction started, not as it is once locked.';
    end if;
    -- No writes while the snapshot is taken and the triggers change.
    execute format('lock table %s in share row exclusive mode', tbl);

    select c.* into v_old from audit.config as c where c.relid = tbl;
    if not found then
        select format('%s (oid %s)', c.log_schema || '.' || c.log_table, c.relid) into v_other
        from audit.config as c
        where c.log_schema = v_schema
            and c.log_table = v_class.relname::text
            and c.enabled
            and exists (select from pg_catalog.pg_class as x where x.oid = c.relid);
        if found then
            raise exception using errcode = '42710', message = format(
                'audit: the log name of %s is already used by audited table %s', tbl, v_other),
                hint = 'A renamed table keeps logging under its first name; disable it first.';
        end if;
    end if;

    insert into audit.config as c (
        relid, log_schema, log_table, key_columns, ignore_columns, redact_columns, snapshot,
        require_actor, columns, enabled_at, first_enabled_at, changed_at
    ) values (
        tbl,
        coalesce(v_old.log_schema, v_schema),
        coalesce(v_old.log_table, v_class.relname::text),
        v_key, ignore_columns, redact_columns, snapshot, require_actor,
        (select pg_catalog.array_agg(x.name) from audit._columns(tbl) as x),
        v_now, v_now, v_now
    )
    on conflict (relid) do update set
        key_columns = excluded.key_columns,
        ignore_columns = excluded.ignore_columns,
        redact_columns = excluded.redact_columns,
        snapshot = excluded.snapshot,
        require_actor = excluded.require_actor,
        columns = excluded.columns,
        enabled = true,
        enabled_at = case when c.enabled then c.enabled_at else v_now end,
        changed_at = v_now
    returning c.* into v_cfg;

    for v_rel in select audit._relations(tbl) loop
        -- A partition created or attached since the last enable: its rows enter the history now.
        if snapshot and v_old.enabled and v_rel <> tbl::oid
            and (select c.relkind from pg_catalog.pg_class as c where c.oid = v_rel) = 'r'
            and not exists (
                select from pg_catalog.pg_trigger as t
                where t.tgrelid = v_rel and t.tgname = 'audit_trail_truncate'
            ) then
            execute audit._capture_sql(v_rel, 'SNAPSHOT', v_cfg, audit._context_exprs());
        end if;
        perform audit._capture_function(v_rel, v_cfg);
    end loop;
    if v_class.relkind = 'p' then
        perform audit._partition_guard(tbl);
    end if;

    if snapshot and (v_old.relid is null or not v_old.enabled) then
        if v_old.relid is not null then
            -- Enabled again: records that disappeared while auditing was off are logged as
            -- deleted now, so that reads from this moment on are exact.
            execute audit._capture_sql(tbl, 'ABSENT', v_cfg,
                (audit._context_exprs())[1:6]
                || format('coalesce(%s, ''{}'') || ''{"audit": "absent when auditing was enabled again"}''',
                    (audit._context_exprs())[7])
                || (audit._context_exprs())[8:10]
            );
        end if;
        execute audit._capture_sql(tbl, 'SNAPSHOT', v_cfg, audit._context_exprs());
    end if;
end
$$;
-- Switches auditing off for a table: drops its capture triggers and functions. Its history stays in
-- audit.logs and can still be read; audit.enable switches it on again (with a new snapshot).
create or replace function audit.disable(tbl regclass)
returns void
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
    v_rel oid;
begin
    if not exists (select from audit.config as c where c.relid = tbl and c.enabled) then
        raise exception using errcode = '55000', message = format('audit: table %s is not audited', tbl);
    end if;
    for v_rel in select audit._relations(tbl) loop
        perform audit._drop_capture(v_rel);
    end loop;
    if (select c.relkind from pg_catalog.pg_class as c where c.oid = tbl) = 'p' then
        execute format('drop trigger if exists audit_trail_partition_guard on %s', tbl);
        execute format('drop function if exists audit.%I()', format('guard_%s', tbl::oid));
    end if;
    update audit.config set enabled = false, changed_at = pg_catalog.clock_timestamp() where relid = tbl;
end
$$;
-- Sets who acts for the rest of the current transaction (app.actor_email, app.actor_type,
-- app.actor_id). The type must be a row of audit.actor_types.
create or replace function audit.set_actor(email text, type text default 'user', id text default null)
returns void
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
    perform audit._check_actor_type(type, 'actor type');
    perform pg_catalog.set_config('app.actor_email', coalesce(email, ''), true);
    perform pg_catalog.set_config('app.actor_type', coalesce(type, ''), true);
    perform pg_catalog.set_config('app.actor_id', coalesce(id, ''), true);
end
$$;
-- Names the migration that runs, for the rest of the current transaction (app.current_migration).
create or replace function audit.set_migration(name text)
returns void
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
    if name is null or name = '' then
        raise exception using errcode = '22023', message = 'audit.set_migration: name must not be empty';
    end if;
    perform pg_catalog.set_config('app.current_migration', name, true);
end
$$;
-- The installed version of pg-audit-trail.
create or replace function audit.version()
returns text
language sql immutable
set search_path = pg_catalog, pg_temp
as $$
    select '0.2.0'::text
$$;
-- The audit.config row of a table that is or was audited; raises 55000 naming it otherwise.
-- Runs as the package owner, for roles that may read audit.logs (so readers need that one grant).
create or replace function audit._config_of(p_tbl regclass, p_caller text)
returns audit.config
language plpgsql stable security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    v audit.config;
begin
    if p_tbl is null then
        raise exception using errcode = '22004', message = format('%s: tbl must not be NULL', p_caller);
    end if;
    -- The role that called (SET ROLE, else the session's) must be able to read the log.
    if not pg_catalog.has_table_privilege(
        case when pg_catalog.current_setting('role') = 'none' then session_user
            else pg_catalog.current_setting('role') end,
        'audit.logs', 'SELECT'
    ) then
        raise exception using
            errcode = '42501',
            message = format('%s: permission denied for table audit.logs', p_caller),
            hint = 'Reading the audit trail needs GRANT SELECT ON audit.logs.';
    end if;
    select c.* into v from audit.config as c where c.relid = p_tbl;
    if not found then
        raise exception using
            errcode = '55000',
            message = format('%s: table %s is not audited', p_caller, p_tbl),
            hint = format('Switch it on with SELECT audit.enable(%L).', p_tbl::text);
    end if;
    return v;
end
$$;
-- The record_id under which a key value is logged for table p_cfg. p_id is the key value as
-- text, or for a composite key the text of a jsonb object of the key columns. Raises 22023 for a
-- key of the wrong shape and 22P02 for a value that is not of the key column's type.
create or replace function audit._record_key(p_cfg audit.config, p_id text, p_is_json boolean, p_caller text)
returns text
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
    v_json jsonb;
    v_sql text;
    v_result text;
    v_key_list text := pg_catalog.array_to_string(p_cfg.key_columns, ', ');
    v_missing text [];
    v_type oid;
    v_fast boolean := false;
begin
    if p_id is null then
        raise exception using errcode = '22004', message = format('%s: the key value must not be NULL', p_caller);
    end if;
    if p_is_json then
        v_json := p_id::jsonb;
        if pg_catalog.jsonb_typeof(v_json) = 'object' then
            select pg_catalog.array_agg(k) into v_missing
            from (
                select k from pg_catalog.unnest(p_cfg.key_columns) as k
                where not (v_json ? k)
                union all
                select k from pg_catalog.jsonb_object_keys(v_json) as k
                where k <> all(p_cfg.key_columns)
            ) as x;
            if v_missing is not null then
                raise exception using
                    errcode = '22023',
                    message = format('%s: key %s does not match the key (%s) of table %s',
                        p_caller, p_id, v_key_list, p_cfg.relid::regclass),
                    hint = 'Give a jsonb object with exactly the key columns.';
            end if;
        elsif pg_catalog.cardinality(p_cfg.key_columns) = 1 then
            v_json := pg_catalog.jsonb_build_object(p_cfg.key_columns[1], v_json);
        end if;
    elsif pg_catalog.cardinality(p_cfg.key_columns) = 1 then
        v_json := pg_catalog.jsonb_build_object(p_cfg.key_columns[1], p_id);
    end if;
    if v_json is null or pg_catalog.jsonb_typeof(v_json) <> 'object' then
        raise exception using
            errcode = '22023',
            message = format('%s: table %s has a composite key (%s); give the key as a jsonb object, not %s',
                p_caller, p_cfg.relid::regclass, v_key_list, p_id),
            hint = format('For example %s.',
                (select pg_catalog.jsonb_object_agg(k, '...') from pg_catalog.unnest(p_cfg.key_columns) as k));
    end if;

    -- A one-column key of a common type needs no generated SQL: cast and canonicalise here.
    if pg_catalog.cardinality(p_cfg.key_columns) = 1 then
        select a.atttypid into v_type
        from pg_catalog.pg_attribute as a
        where a.attrelid = p_cfg.relid and a.attname = p_cfg.key_columns[1];
        v_fast := v_type in (
            'int2'::regtype, 'int4'::regtype, 'int8'::regtype, 'text'::regtype, 'uuid'::regtype
        );
    end if;
    if not v_fast then
        -- Cast every key value to its column's type, then canonicalise it as capture does.
        select format('select %s from (select %s) as r',
            audit._record_id_expr(p_cfg.relid, p_cfg.key_columns, '(r).%1$s'),
            pg_catalog.string_agg(format('($1 ->> %L)::%s as %I', k.col,
                pg_catalog.format_type(a.atttypid, a.atttypmod), k.col), ', ')
        ) into v_sql
        from pg_catalog.unnest(p_cfg.key_columns) as k (col)
        inner join pg_catalog.pg_attribute as a on a.attrelid = p_cfg.relid and a.attname = k.col;
    end if;
    begin
        if v_fast then
            v_result := v_json ->> p_cfg.key_columns[1];
            return case v_type
                when 'int2'::regtype then v_result::int2::text
                when 'int4'::regtype then v_result::int4::text
                when 'int8'::regtype then v_result::int8::text
                when 'uuid'::regtype then v_result::uuid::text
                else v_result
            end;
        end if;
        execute v_sql into v_result using v_json;
    exception when data_exception then
        raise exception using
            errcode = '22P02',
            message = format('%s: key %s is not a valid key of table %s (%s): %s',
                p_caller, p_id, p_cfg.relid::regclass, (
                    select pg_catalog.string_agg(
                        format('%I %s', k, pg_catalog.format_type(a.atttypid, a.atttypmod)), ', ')
                    from pg_catalog.unnest(p_cfg.key_columns) as k
                    inner join pg_catalog.pg_attribute as a on a.attrelid = p_cfg.relid and a.attname = k
                ), sqlerrm);
    end;
    return v_result;
end
$$;
-- The table whose row type is p_type; raises 42809 if p_type is not a table's row type.
create or replace function audit._table_of_rowtype(p_type regtype, p_caller text)
returns regclass
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
    v regclass;
begin
    select t.typrelid::regclass into v
    from pg_catalog.pg_type as t
    inner join pg_catalog.pg_class as c on c.oid = t.typrelid
    where t.oid = p_type and c.relkind in ('r', 'p');
    if v is null then
        raise exception using
            errcode = '42809',
            message = format('%s: %s is not the row type of a table', p_caller, p_type),
            hint = 'Pass NULL::your_table as the first argument.';
    end if;
    return v;
end
$$;
-- Whether a logged state p_state can be the same record as p_prev, the previous row that a later
-- log row recorded (new_values || old_values): every column both have, but for the table's
-- ignored columns (whose changes are not logged), holds the same value. Used only where one
-- transaction left two records on one key for a while (a deferred unique key).
create or replace function audit._same_record(p_state jsonb, p_prev jsonb, p_ignore text[])
returns boolean
language sql immutable
set search_path = pg_catalog, pg_temp
as $$
    select not exists (
        select from pg_catalog.jsonb_each(p_state) as e
        where e.key <> all(p_ignore) and p_prev ? e.key
            and (p_prev -> e.key)::text is distinct from e.value::text
    )
$$;
-- The log row that gives record p_rid's state at p_ts: the latest row that brought a record to the
-- key (INSERT, SNAPSHOT, UPDATE, or DELETE/TRUNCATE) or moved one away from it (an UPDATE that
-- changed the key). Within one record capture order decides; between an arrival and a departure
-- at the same moment (a key shift, one statement) the arrival wins. No row if none, or if that
-- row ended the record at this key.
create or replace function audit._state_at(p_cfg audit.config, p_rid text, p_ts timestamptz)
returns setof audit.logs
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
    v_arrival audit.logs;
    v_departure audit.logs;
begin
    select l.* into v_arrival
    from audit.logs as l
    where l.table_name = p_cfg.log_table and l.record_id = p_rid
        and l.schema_name = p_cfg.log_schema and l.created_at <= p_ts
    order by l.id desc
    limit 1;
    if not found or v_arrival.action in ('DELETE', 'TRUNCATE') then
        return;
    end if;
    select l.* into v_departure
    from audit.logs as l
    where l.table_name = p_cfg.log_table and l.old_record_id = p_rid and l.record_id <> p_rid
        and l.schema_name = p_cfg.log_schema and l.created_at <= p_ts
    order by l.id desc
    limit 1;
    -- A later departure empties the key if it moved the record that arrived: always so across
    -- transactions; within one (a deferred unique key) only if it is that record.
    if found and v_departure.created_at > v_arrival.created_at
        and (v_departure.transaction_id <> v_arrival.transaction_id
            or audit._same_record(v_arrival.new_values, v_departure.new_values || v_departure.old_values,
                p_cfg.ignore_columns)) then
        return;
    end if;
    return next v_arrival;
end
$$;
-- The record of table tbl with key id as it was at ts: one row, or none if it did not exist then.
-- id is the key value (any type that casts to the key column's), or a jsonb object for a composite key.
create or replace function audit.state_at(tbl regclass, id anycompatible, ts timestamptz)
returns table (
    record_id text,
    state jsonb,
    valid_from timestamptz,
    log_id bigint,
    action text,
    actor_email text,
    actor_type text,
    migration_name text
)
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
    v_cfg audit.config := audit._config_of(tbl, 'audit.state_at');
begin
    if ts is null then
        raise exception using errcode = '22004', message = 'audit.state_at: ts must not be NULL';
    end if;
    return query
    select l.record_id, l.new_values, l.created_at, l.id, l.action, l.actor_email, l.actor_type, l.migration_name
    from audit._state_at(
        v_cfg,
        audit._record_key(v_cfg, id::text, pg_catalog.pg_typeof(id) in ('jsonb'::regtype, 'json'::regtype),
            'audit.state_at'),
        ts
    ) as l;
end
$$;
-- Every record of table tbl that existed at ts, with its state then.
create or replace function audit.table_at(tbl regclass, ts timestamptz)
returns table (record_id text, state jsonb)
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
    v_cfg audit.config := audit._config_of(tbl, 'audit.table_at');
begin
    if ts is null then
        raise exception using errcode = '22004', message = 'audit.table_at: ts must not be NULL';
    end if;
    -- Per key, its latest row (read in index order, no sort), unless that row ended the record
    -- or a later UPDATE moved the record away from the key.
    return query
    select a.record_id, a.new_values
    from (
        select distinct on (l.record_id) l.record_id, l.action, l.new_values, l.created_at, l.transaction_id
        from audit.logs as l
        where l.table_name = v_cfg.log_table and l.schema_name = v_cfg.log_schema and l.created_at <= ts
        order by l.record_id desc, l.id desc
    ) as a
    where a.action not in ('DELETE', 'TRUNCATE')
        and not exists (
            select from audit.logs as d
            where d.table_name = v_cfg.log_table and d.old_record_id = a.record_id
                and d.record_id <> a.record_id and d.schema_name = v_cfg.log_schema
                and d.created_at <= ts and d.created_at > a.created_at
                and (d.transaction_id <> a.transaction_id
                    or audit._same_record(a.new_values, d.new_values || d.old_values, v_cfg.ignore_columns))
        );
end
$$;
-- Every version of the record of table tbl that has (or last had) key id, oldest first, following it
-- across key changes. A key that an earlier, deleted record held is not that record: history
-- starts at the current record's INSERT (or its first SNAPSHOT).
create or replace function audit.history(tbl regclass, id anycompatible)
returns table (
    log_id bigint,
    action text,
    valid_from timestamptz,
    valid_to timestamptz,
    state jsonb,
    changed_fields text[],
    actor_email text,
    actor_type text,
    actor_id text,
    migration_name text,
    transaction_id xid8
)
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
    v_cfg audit.config := audit._config_of(tbl, 'audit.history');
    v_key text;
    v_last audit.logs;
    v_next audit.logs;
    v_end audit.logs;
    v_row audit.logs;
    v_ids bigint [] := '{}'::bigint [];
    v_rows audit.logs [] := '{}'::audit.logs [];
    v_bound_id bigint;
    v_bound_xid xid8;
    v_bound_ts timestamptz;
    v_switched boolean;
    v_arrival audit.logs;
    v_moved boolean := false;
begin
    v_key := audit._record_key(v_cfg, id::text, pg_catalog.pg_typeof(id) in ('jsonb'::regtype, 'json'::regtype),
        'audit.history');
    -- The record at this key now, else the latest event at it: a row that left a record here, or
    -- one that moved it away.
    select l.* into v_last from audit._state_at(v_cfg, v_key, 'infinity') as l;
    if not found then
        select l.* into v_last
        from audit.logs as l
        where l.table_name = v_cfg.log_table and l.schema_name = v_cfg.log_schema
            and (l.record_id = v_key or (l.old_record_id = v_key and l.record_id <> v_key))
        order by l.created_at desc, (l.record_id = v_key) desc, l.id desc
        limit 1;
        if not found then
            return;
        end if;
    end if;
    -- Follow the record forward while it moved to another key. v_last is then its arrival there.
    while v_last.record_id <> v_key loop
        v_moved := true;
        v_key := v_last.record_id;
        select l.* into v_next
        from audit.logs as l
        where l.table_name = v_cfg.log_table and l.schema_name = v_cfg.log_schema
            and l.id > v_last.id
            and not (l.transaction_id = v_last.transaction_id and l.created_at = v_last.created_at)
            and (
                (l.record_id = v_key and l.action in ('DELETE', 'TRUNCATE', 'INSERT'))
                or (l.old_record_id = v_key and l.record_id <> v_key)
            )
        order by l.id
        limit 1;
        exit when not found or v_next.record_id = v_key;
        v_last := v_next;
    end loop;
    -- The record's last row at its final key: up to a DELETE, before a new INSERT of the key. When
    -- it never moved, that is the row found first.
    if not v_moved then
        v_end := v_last;
    else
        select l.* into v_end
        from audit.logs as l
        where l.table_name = v_cfg.log_table and l.schema_name = v_cfg.log_schema and l.record_id = v_key
            and l.id >= v_last.id
            and (
                v_next.id is null or v_next.record_id <> v_key
                or (v_next.action = 'INSERT' and l.id < v_next.id)
                or (v_next.action <> 'INSERT' and l.id <= v_next.id)
            )
        order by l.id desc
        limit 1;
    end if;
    -- Walk back to the record's beginning: its INSERT, a DELETE of an earlier record with the same
    -- key (not included), or the start of the log; an arrival by key change continues at the old key.
    v_bound_id := v_end.id;
    <<walk>>
    loop
        v_switched := false;
        for v_row in
            select l.* from audit.logs as l
            where l.table_name = v_cfg.log_table and l.schema_name = v_cfg.log_schema and l.record_id = v_key
                and l.id <= v_bound_id
                and (v_bound_xid is null
                    or not (l.transaction_id = v_bound_xid and l.created_at = v_bound_ts))
            order by l.id desc
        loop
            -- Under a deferred unique key one transaction may hold two records on a key for a
            -- while: below an arrival, skip the rows of its transaction that are another record.
            continue when v_arrival.id is not null and v_row.transaction_id = v_arrival.transaction_id
                and not audit._same_record(v_row.new_values, v_arrival.new_values || v_arrival.old_values,
                    v_cfg.ignore_columns);
            v_arrival := null;
            if v_row.action in ('DELETE', 'TRUNCATE') and pg_catalog.cardinality(v_ids) > 0 then
                exit walk;
            end if;
            v_ids := v_ids || v_row.id;
            -- The first 1,000 versions are kept as they are walked; a longer history is read
            -- again by id at the end, so that memory stays bounded.
            if pg_catalog.cardinality(v_ids) <= 1000 then
                v_rows := v_rows || v_row;
            end if;
            exit walk when v_row.action = 'INSERT';
            if v_row.old_record_id is not null and v_row.old_record_id <> v_key then
                v_key := v_row.old_record_id;
                v_bound_id := v_row.id - 1;
                v_bound_xid := v_row.transaction_id;
                v_bound_ts := v_row.created_at;
                v_arrival := v_row;
                v_switched := true;
                exit;
            end if;
        end loop;
        exit when not v_switched;
    end loop;

    if pg_catalog.cardinality(v_ids) <= 1000 then
        return query
        select l.id, l.action, l.created_at,
            pg_catalog.lead(l.created_at) over (order by l.id),
            l.new_values, l.changed_fields, l.actor_email, l.actor_type, l.actor_id, l.migration_name, l.transaction_id
        from pg_catalog.unnest(v_rows) as l
        order by l.id;
    else
        -- A longer history: every version read again by id, rather than all of them in memory.
        return query
        select l.id, l.action, l.created_at,
            pg_catalog.lead(l.created_at) over (order by l.id),
            l.new_values, l.changed_fields, l.actor_email, l.actor_type, l.actor_id, l.migration_name, l.transaction_id
        from audit.logs as l
        where l.id = any(v_ids)
        order by l.id;
    end if;
end
$$;
-- p_state as a row of p_row's type, for the typed reads. A value that no longer fits its column
-- (the column was dropped and added again with another type) reads as NULL, as do columns added
-- since the state was logged.
create or replace function audit._populate(p_row anyelement, p_state jsonb)
returns anyelement
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
    v_state jsonb := p_state;
    v_key text;
begin
    loop
        begin
            return pg_catalog.jsonb_populate_record(p_row, v_state);
        exception when data_exception then
            -- Drop the first key whose value does not fit, and try again.
            select k into v_key
            from pg_catalog.jsonb_object_keys(v_state) as k
            where not audit._fits(p_row, k, v_state -> k)
            limit 1;
            if v_key is null then
                raise;
            end if;
            v_state := v_state - v_key;
        end;
    end loop;
    return null;  -- not reached: the loop returns or raises
end
$$;

-- Whether the jsonb value p_value fits column p_key of p_row's type.
create or replace function audit._fits(p_row anyelement, p_key text, p_value jsonb)
returns boolean
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
begin
    perform pg_catalog.jsonb_populate_record(p_row, pg_catalog.jsonb_build_object(p_key, p_value));
    return true;
exception when data_exception then
    return false;
end
$$;
-- The record with key id as it was at ts, as the table's own row type: audit.row_at(NULL::users, 123, ts).
-- NULL if it did not exist then. Columns added since are NULL, dropped ones are ignored, and
-- redacted columns are NULL (their values were never stored).
create or replace function audit.row_at(rowtype anyelement, id anycompatible, ts timestamptz)
returns anyelement
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
    v_tbl regclass := audit._table_of_rowtype(pg_catalog.pg_typeof(rowtype), 'audit.row_at');
    v_cfg audit.config := audit._config_of(v_tbl, 'audit.row_at');
    v_state jsonb;
begin
    select s.state into v_state from audit.state_at(v_tbl, id, ts) as s;
    if v_state is null then
        return null;
    end if;
    return audit._populate(rowtype, v_state - v_cfg.redact_columns);
end
$$;
-- Every record of a table as it was at ts, as the table's own row type:
-- SELECT * FROM audit.rows_at(NULL::users, ts). Columns as in audit.row_at.
create or replace function audit.rows_at(rowtype anyelement, ts timestamptz)
returns setof anyelement
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
    v_tbl regclass := audit._table_of_rowtype(pg_catalog.pg_typeof(rowtype), 'audit.rows_at');
    v_cfg audit.config := audit._config_of(v_tbl, 'audit.rows_at');
begin
    -- Row by row only when some state no longer fits the table (a column dropped and added again).
    begin
        perform pg_catalog.count(pg_catalog.jsonb_populate_record(rowtype, t.state - v_cfg.redact_columns))
        from audit.table_at(v_tbl, ts) as t;
        return query
        select (pg_catalog.jsonb_populate_record(rowtype, t.state - v_cfg.redact_columns)).*
        from audit.table_at(v_tbl, ts) as t;
        return;
    exception when data_exception then
        null;
    end;
    return query
    select (audit._populate(rowtype, t.state - v_cfg.redact_columns)).*
    from audit.table_at(v_tbl, ts) as t;
end
$$;
-- The columns that differ between two row states: {"col": {"old": ..., "new": ...}}. A column
-- present on one side only counts as NULL on the other; values are compared by their text, so
-- 1.0 -> 1.00 is a difference, as it is for changed_fields. NULL inputs count as empty rows.
create or replace function audit.diff(before jsonb, after jsonb)
returns jsonb
language sql immutable
set search_path = pg_catalog, pg_temp
as $$
    select coalesce(pg_catalog.jsonb_object_agg(
        coalesce(b.key, a.key),
        pg_catalog.jsonb_build_object('old', coalesce(b.value, 'null'), 'new', coalesce(a.value, 'null'))
    ), '{}')
    from pg_catalog.jsonb_each(coalesce(before, '{}')) as b
    full join pg_catalog.jsonb_each(coalesce(after, '{}')) as a on b.key = a.key
    where coalesce(b.value, 'null')::text is distinct from coalesce(a.value, 'null')::text
$$;

-- The audited tables, since when, and their options.
create or replace view audit.tables as
select
    c.relid::regclass as table_name,
    c.log_schema,
    c.log_table,
    c.enabled_at,
    c.first_enabled_at,
    c.key_columns,
    c.ignore_columns,
    c.redact_columns,
    c.require_actor,
    c.snapshot,
    (c.columns is distinct from (select pg_catalog.array_agg(x.name) from audit._columns(c.relid) as x))
        as columns_changed
from audit.config as c
where c.enabled and exists (select from pg_catalog.pg_class as r where r.oid = c.relid);
-- Keeps audit.logs append-only: UPDATE, DELETE and TRUNCATE fail for every role, its owner included.
create or replace function audit._logs_append_only()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
    raise exception using
        errcode = '42501',
        message = format('audit: audit.logs is append-only; %s is not allowed', tg_op),
        hint = 'Log rows are written only by the capture triggers of audited tables.';
end
$$;

create or replace trigger logs_append_only
before update or delete on audit.logs
for each statement execute function audit._logs_append_only();

create or replace trigger logs_no_truncate
before truncate on audit.logs
for each statement execute function audit._logs_append_only();

-- Privileges: nothing for PUBLIC but what is meant. Writers of audited tables need no right on
-- the log (capture runs as the log's owner); readers need a grant on audit.logs.
revoke all on all tables in schema audit from public;
revoke all on all functions in schema audit from public;
grant usage on schema audit to public;
grant execute on function audit.version() to public;
grant execute on function audit.set_actor(text, text, text) to public;
grant execute on function audit.set_migration(text) to public;
grant execute on function audit.state_at(regclass, anycompatible, timestamptz) to public;
grant execute on function audit.history(regclass, anycompatible) to public;
grant execute on function audit.table_at(regclass, timestamptz) to public;
grant execute on function audit.row_at(anyelement, anycompatible, timestamptz) to public;
grant execute on function audit.rows_at(anyelement, timestamptz) to public;
grant execute on function audit.diff(jsonb, jsonb) to public;
grant execute on function audit._config_of(regclass, text) to public;
grant execute on function audit._record_key(audit.config, text, boolean, text) to public;
grant execute on function audit._record_id_expr(oid, text[], text) to public;
grant execute on function audit._key_text_expr(text, oid) to public;
grant execute on function audit._key_json_expr(text, oid) to public;
grant execute on function audit._columns(oid) to public;
grant execute on function audit._state_at(audit.config, text, timestamptz) to public;
grant execute on function audit._table_of_rowtype(regtype, text) to public;
grant execute on function audit._parse_context(text) to public;
grant execute on function audit._check_actor_type(text, text) to public;
grant select on audit.actor_types to public;
grant execute on function audit._populate(anyelement, jsonb) to public;
grant execute on function audit._fits(anyelement, text, jsonb) to public;
grant execute on function audit._same_record(jsonb, jsonb, text[]) to public;
-- Records the installed version and regenerates the capture code of every audited table, so that
-- an upgrade in place brings them the new code.
insert into audit.meta (key, value) values ('version', audit.version())
on conflict (key) do update set value = excluded.value;

do $$
declare
    v_cfg audit.config;
    v_rel oid;
begin
    for v_cfg in
        select c.* from audit.config as c
        where c.enabled and exists (select from pg_catalog.pg_class as x where x.oid = c.relid)
    loop
        for v_rel in select audit._relations(v_cfg.relid) loop
            perform audit._capture_function(v_rel, v_cfg);
        end loop;
        if (select c.relkind from pg_catalog.pg_class as c where c.oid = v_cfg.relid) = 'p' then
            perform audit._partition_guard(v_cfg.relid);
        end if;
    end loop;
end
$$;

commit;
