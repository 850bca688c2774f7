-- Switches auditing on for a table, or changes its options when it is already on. The first time
-- (and again after audit.disable) every existing row is logged once as SNAPSHOT unless snapshot
-- is false. Run it again after ALTER TABLE so the capture code matches the table's columns.
-- lookup_columns are indexed in the log for audit.table_at(tbl, ts, filter) (audit._sync_lookup_indexes).
-- (0.2.0 had no lookup_columns: its signature gives way to this one.)
drop function if exists audit.enable(regclass, text[], text[], boolean, text[], boolean);
create or replace function audit.enable(
    tbl regclass,
    ignore_columns text[] default '{}',
    redact_columns text[] default '{}',
    snapshot boolean default true,
    key_columns text[] default null,
    require_actor boolean default false,
    lookup_columns text[] default '{}'
)
returns void
language plpgsql
set search_path = pg_catalog, pg_temp set extra_float_digits = 1 set bytea_output = hex
set intervalstyle = postgres set datestyle = 'ISO, YMD' set timezone = 'UTC'
set array_nulls = on set lc_monetary = 'C' set row_security = off
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
    v_parent regclass;
    v_now timestamptz := pg_catalog.clock_timestamp();
    v_context audit.logs;
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
    if v_class.relnamespace = 'audit'::regnamespace then
        raise exception using
            errcode = '42809',
            message = format('audit: %s belongs to the audit trail itself and cannot be audited', tbl),
            hint = 'Auditing audit.logs would log its own log rows, without end.';
    end if;
    if v_class.relpersistence = 't' then
        raise exception using
            errcode = '42809',
            message = format('audit: %s is a temporary table; only permanent tables can be audited', tbl),
            hint = 'A temporary table and its rows vanish with the session; their history would outlive them.';
    end if;
    select i.inhparent::regclass into v_parent from pg_catalog.pg_inherits as i where i.inhrelid = tbl limit 1;
    if found and not exists (select from audit.config as c where c.relid = v_parent and c.enabled) then
        raise exception using
            errcode = '42809',
            message = format('audit: %s is an inheritance child of %s; audit the parent, which covers its '
                'children', tbl, v_parent),
            hint = 'Writes through the parent reach the child without the child''s statement triggers.';
    elsif found then
        raise exception using
            errcode = '42809',
            message = format('audit: %s is an inheritance child of audited table %s, which covers it already',
                tbl, v_parent),
            hint = format('Run SELECT audit.enable(%L) to bring a new child under its capture.', v_parent::text);
    end if;
    perform audit._check_virtual_columns(tbl);

    -- SNAPSHOT rows (and the DELETE rows of records gone while auditing was off) carry the
    -- application's context like captured rows: an unknown actor type fails here as it does there.
    perform audit._check_actor_type(nullif(pg_catalog.current_setting('app.actor_type', true), ''));
    v_schema := (select n.nspname::text from pg_catalog.pg_namespace as n where n.oid = v_class.relnamespace);
    ignore_columns := coalesce(ignore_columns, '{}');
    redact_columns := coalesce(redact_columns, '{}');
    perform audit._check_columns(tbl, 'ignore_columns', ignore_columns);
    perform audit._check_columns(tbl, 'redact_columns', redact_columns);
    lookup_columns := coalesce(lookup_columns, '{}');
    perform audit._check_columns(tbl, 'lookup_columns', lookup_columns);
    select k into v_other from pg_catalog.unnest(lookup_columns) as k where k = any(redact_columns) limit 1;
    if found then
        raise exception using errcode = '22023', message = format(
            'audit: lookup column %s of table %s is in redact_columns: the log holds only "[redacted]" for it',
            quote_ident(v_other), tbl);
    end if;
    select k into v_other from pg_catalog.unnest(lookup_columns) as k where k = any(ignore_columns) limit 1;
    if found then
        raise exception using errcode = '22023', message = format(
            'audit: lookup column %s of table %s is in ignore_columns: its changes alone are not logged, so a '
            'lookup would see stale values', quote_ident(v_other), tbl);
    end if;

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
        -- Two rows with the same key would merge into one record: the key must be unique.
        if not exists (
            select from pg_catalog.pg_index as i
            where i.indrelid = tbl and i.indisunique and i.indpred is null and i.indexprs is null
                and i.indnkeyatts = pg_catalog.cardinality(key_columns)
                and (
                    select pg_catalog.array_agg(a.attname::text order by a.attname)
                    from pg_catalog.unnest(i.indkey[0:i.indnkeyatts - 1]) as k (attnum)
                    inner join pg_catalog.pg_attribute as a on a.attrelid = tbl and a.attnum = k.attnum
                ) = (select pg_catalog.array_agg(k order by k) from pg_catalog.unnest(key_columns) as k)
        ) then
            raise exception using errcode = '22023', message = format(
                'audit: key_columns %s of table %s are not unique: no unique index or constraint covers '
                'exactly these columns', key_columns, tbl),
                hint = 'Two rows with the same key would be logged as one record. Add a UNIQUE constraint '
                    'on them first.';
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
    -- No writes while the snapshot is taken and the triggers change. LOCK TABLE in this mode needs
    -- UPDATE, DELETE or TRUNCATE on the table; a package owner with only SELECT and TRIGGER on it
    -- takes the same lock by creating a trigger that it needs anyway.
    if pg_catalog.has_table_privilege(tbl, 'UPDATE, DELETE, TRUNCATE') then
        execute format('lock table %s in share row exclusive mode', tbl);
    elsif v_class.relkind = 'p' then
        perform audit._partition_guard(tbl);
    else
        execute format(
            'create or replace trigger audit_trail_no_parent after insert on %s '
            'referencing new table as audit_no_parent for each row when (false) '
            'execute function audit._never_runs()', tbl
        );
    end if;
    if snapshot and pg_catalog.row_security_active(tbl) then
        raise exception using
            errcode = '42501',
            message = format('audit: row-level security would hide rows of %s from its snapshot', tbl),
            hint = 'Enable it as the table''s owner (without FORCE ROW LEVEL SECURITY) or as a role with '
                'BYPASSRLS, or with snapshot => false.';
    end if;

    select c.* into v_old from audit.config as c where c.relid = tbl;
    if not found then
        select format('%s (now %s)', c.log_schema || '.' || c.log_table, c.relid) into v_other
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
        require_actor, columns, column_attnums, lookup_columns, enabled_at, first_enabled_at, changed_at
    ) values (
        tbl,
        coalesce(v_old.log_schema, v_schema),
        coalesce(v_old.log_table, v_class.relname::text),
        v_key, ignore_columns, redact_columns, snapshot, require_actor,
        (select pg_catalog.array_agg(x.name order by x.pos) from audit._columns(tbl) as x),
        (
            select pg_catalog.array_agg(a.attnum order by a.attnum) from pg_catalog.pg_attribute as a
            where a.attrelid = tbl and a.attnum > 0 and not a.attisdropped
        ),
        coalesce((select pg_catalog.array_agg(distinct k order by k) from pg_catalog.unnest(lookup_columns) as k),
            '{}'),
        v_now, v_now, v_now
    )
    on conflict (relid) do update set
        key_columns = excluded.key_columns,
        ignore_columns = excluded.ignore_columns,
        redact_columns = excluded.redact_columns,
        snapshot = excluded.snapshot,
        require_actor = excluded.require_actor,
        columns = excluded.columns,
        column_attnums = excluded.column_attnums,
        lookup_columns = excluded.lookup_columns,
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
            execute audit._whole_rows_sql(v_rel, v_cfg, '$1', 'SNAPSHOT')
                using audit._current_context();
        end if;
        perform audit._capture_function(v_rel, v_cfg);
    end loop;
    if v_class.relkind = 'p' then
        perform audit._partition_guard(tbl);
    end if;
    perform audit._sync_lookup_indexes(v_cfg);

    if snapshot and (v_old.relid is null or not v_old.enabled) then
        if v_old.relid is not null then
            -- Enabled again: records that disappeared while auditing was off are logged as
            -- deleted now, so that reads from this moment on are exact.
            v_context := audit._current_context();
            v_context.context := coalesce(v_context.context, '{}')
                || '{"audit": "absent when auditing was enabled again"}';
            execute audit._absent_sql(tbl, v_cfg, '$1') using v_context;
        end if;
        execute audit._whole_rows_sql(tbl, v_cfg, '$1', 'SNAPSHOT') using audit._current_context();
    end if;
end
$$;
