-- Creates (or replaces) the capture function of relation p_relid, an audited table or one of the
-- partitions or inheritance children of an audited table, and its statement-level triggers. The
-- function is generated for the relation's columns and the table's options, and runs as its owner
-- with the settings of audit._pinned_settings. Its text names no oid: it finds its relation and
-- its table's options through its own name (audit._relation_of, audit._config_for).
-- With p_apply false it only returns the body it would give the function now (NULL where the
-- relation has no numbered capture function yet), for install to tell whether anything changed.
create or replace function audit._capture_function(p_relid oid, p_cfg audit.config, p_apply boolean default true)
returns text
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
    v_fn text;
    v_old_fn text := (
        select p.proname::text from pg_catalog.pg_trigger as t
        inner join pg_catalog.pg_proc as p on p.oid = t.tgfoid
        where t.tgrelid = p_relid and t.tgname = 'audit_trail_insert'
    );
    v_rel text := p_relid::regclass::text;
    -- A relation that holds rows (not a partitioned table): TRUNCATE is captured there.
    v_holds_rows boolean := (select c.relkind <> 'p' from pg_catalog.pg_class as c where c.oid = p_relid);
    v_shape text [] := audit._shape(p_relid);
    -- A partition or inheritance child (not the audited table itself): its code also checks, as it
    -- runs, that it still captures for its table (see audit._shape_matches).
    v_below boolean := p_relid <> p_cfg.relid::oid;
    v_fits_expr text;
    v_require text := '';
    v_insert text;
    v_delete text;
    v_update_one_row text;
    v_update_arrays text;
    v_update_join text;
    v_body text;
begin
    if not p_apply and (v_old_fn is null or v_old_fn !~ '^capture_n[0-9]+$') then
        return null;
    end if;
    -- The statements of the fast path, for the relation as it is now (audit._log_insert_sql).
    v_insert := audit._whole_rows_sql(p_relid, p_cfg, 'capture.v_log', 'INSERT', 12);
    v_delete := audit._whole_rows_sql(p_relid, p_cfg, 'capture.v_log', 'DELETE', 12);
    v_update_one_row := audit._update_one_row_sql(p_relid, p_cfg, 'capture.v_log', 16);
    v_update_arrays := audit._update_arrays_sql(p_relid, p_cfg, 'capture.v_log', 16);
    v_update_join := audit._quoted_sql(audit._update_join_sql(p_relid, p_cfg, '$1', 16));
    v_fn := case when p_apply then audit._capture_name(p_relid, 'capture') else v_old_fn end;
    -- Whether the relation still has the columns this code was generated for, and still captures
    -- for its table: immutable with constant arguments, so folded into the cached plan, which
    -- PostgreSQL makes again after ALTER TABLE, DETACH or NO INHERIT of the relation. (A plan
    -- that reads a transition table depends on the relation itself.)
    v_fits_expr := format('audit._shape_matches(%L, %L::text[], %L, %L)', v_fn, v_shape, p_cfg.log_schema, p_cfg.log_table)
        || case when v_below then format(' and audit._captures_for(tg_relid, %L, %L)', p_cfg.log_schema,
            p_cfg.log_table) else '' end;
    if p_cfg.require_actor then
        v_require := $require$    -- require_actor: a statement that touched no row changed nothing, and needs no actor.
    if capture.v_log.actor_email is null and capture.v_log.actor_id is null
        and capture.v_log.migration_name is null then
        declare
            v_touched boolean;
        begin
            if tg_op = 'INSERT' or tg_op = 'UPDATE' then
                v_touched := exists (select from audit_new);
            elsif tg_op = 'DELETE' then
                v_touched := exists (select from audit_old);
            else
                execute 'select exists (select from only ' || tg_relid::regclass::text || ')' into v_touched;
            end if;
            if v_touched then
                raise exception using
                    errcode = '42501',
                    message = $require$ || quote_literal(format('audit: table %s requires an actor, and none is set',
                        p_cfg.log_schema || '.' || p_cfg.log_table)) || $require$,
                    hint = 'Call audit.set_actor(email, type) or audit.set_migration(name) in the transaction first.';
            end if;
        end;
    end if;$require$;
    end if;

    if v_insert is null or v_delete is null or v_update_one_row is null or v_update_arrays is null
        or v_update_join is null then
        raise exception 'audit._capture_function: a capture statement of % came out NULL', v_rel;
    end if;
    -- The function, top to bottom: the context into v_log; require_actor; then one branch per
    -- event, so that a one-row statement evaluates as few PL/pgSQL expressions as it can; and
    -- last the slow path, for a relation whose columns changed since audit.enable, and TRUNCATE.
    v_body := concat_ws(E'\n',
        '',
        -- A name that is both a column and a variable is the column: a virtual generated column's
        -- expression, evaluated here, names the table's columns unqualified, and one named like
        -- a variable (v_type) must not read the variable. The function's own variables are
        -- named through the block label wherever a query could see a column (capture.v_log).
        '#variable_conflict use_column',
        '<<capture>>',
        'declare',
        '    -- The context every log row of this statement shares (audit._context_columns).',
        '    v_log audit.logs;',
        $d$    v_type text := nullif(pg_catalog.current_setting('app.actor_type', true), '');$d$,
        $d$    v_context text := nullif(pg_catalog.current_setting('app.audit_context', true), '');$d$,
        '    v_cfg audit.config;',
        '    v_fits boolean;',
        '    v_many_new boolean;',
        '    v_many_old boolean;',
        '    v_rows bigint;',
        '    v_old_rows bigint;',
        '    v_work_mem text;',
        'begin',
        '    v_log.created_at := pg_catalog.clock_timestamp();',
        '    v_log.transaction_id := pg_catalog.pg_current_xact_id();',
        $d$    v_log.actor_email := nullif(pg_catalog.current_setting('app.actor_email', true), '');$d$,
        $d$    v_log.actor_id := nullif(pg_catalog.current_setting('app.actor_id', true), '');$d$,
        $d$    v_log.migration_name := nullif(pg_catalog.current_setting('app.current_migration', true), '');$d$,
        '    if v_type is not null then',
        '        if not exists (select from audit.actor_types as t where t.name operator(pg_catalog.=) capture.v_type) then',
        '            perform audit._check_actor_type(v_type);',
        '        end if;',
        '    end if;',
        format('    v_log.actor_type := %s;',
            audit._actor_type_expr('v_type', 'v_log.actor_email', 'v_log.actor_id', 'v_log.migration_name')),
        '    if v_context is not null then',
        '        v_log.context := audit._parse_context(v_context);',
        '    end if;',
        '    v_log.db_user := session_user;',
        $d$    v_log.application_name := nullif(pg_catalog.current_setting('application_name'), '');$d$,
        '    v_log.client_addr := pg_catalog.inet_client_addr();',
        nullif(v_require, ''),
        '    if tg_op = ''UPDATE'' then',
        '        select s.fits, exists (select from audit_new offset 1), exists (select from audit_old offset 1)',
        '        into v_fits, v_many_new, v_many_old',
        format('        from (select %s as fits) as s;', v_fits_expr),
        '        if v_fits then',
        '            if not v_many_new and not v_many_old then',
        '                ' || v_update_one_row || ';',
        '                -- Nothing logged: nothing changed, or no row at all; but never a row without its',
        '                -- pair. (Nested, so that a logged row costs only the test of FOUND.)',
        '                if not found then',
        '                    if exists (select from audit_new) <> exists (select from audit_old) then',
        format('                        perform audit._fail(''XX000'', %L);',
            format('audit: cannot pair the old and new rows of an UPDATE on %s', v_rel)),
        '                    end if;',
        '                end if;',
        '                return null;',
        '            end if;',
        '            select (select pg_catalog.count(*) from audit_new), (select pg_catalog.count(*) from audit_old)',
        '            into v_rows, v_old_rows;',
        '            if v_rows = v_old_rows and v_rows <= 600 then',
        '                ' || v_update_arrays || ';',
        '            else',
        '                -- Many rows: a join planned for this statement (the cached plans assume few rows),',
        '                -- with room to sort in memory. Old and new rows that differ in number also come',
        '                -- here: the join leaves a row without a partner, and the statement fails rather',
        '                -- than pair wrongly.',
        '                v_work_mem := pg_catalog.current_setting(''work_mem'');',
        '                perform pg_catalog.set_config(''work_mem'', ''256MB'', true);',
        '                execute ' || v_update_join,
        '                using v_log;',
        '                perform pg_catalog.set_config(''work_mem'', v_work_mem, true);',
        '            end if;',
        '            return null;',
        '        end if;',
        '    elsif tg_op = ''INSERT'' then',
        -- (The empty join makes the cached plan read the transition table, so that it depends on
        -- the relation and is made again when the relation changes; UPDATE's probes of
        -- audit_new and audit_old do the same.)
        format('        select s.fits into v_fits from (select %s as fits) as s', v_fits_expr),
        '        left join (select from audit_new limit 0) as r on true;',
        '        if v_fits then',
        '            ' || v_insert || ';',
        '            return null;',
        '        end if;',
        '    elsif tg_op = ''DELETE'' then',
        format('        select s.fits into v_fits from (select %s as fits) as s', v_fits_expr),
        '        left join (select from audit_old limit 0) as r on true;',
        '        if v_fits then',
        '            ' || v_delete || ';',
        '            return null;',
        '        end if;',
        '    end if;',
        '    -- The relation''s columns changed since audit.enable, or TRUNCATE: the statement for the',
        '    -- relation as it is now, under its current name.',
        '    v_cfg := audit._config_for(tg_relid);',
        '    if tg_op = ''TRUNCATE'' then',
        '        perform audit._check_truncate(tg_relid, v_cfg);',
        '    end if;',
        '    execute audit._statement_for(tg_relid, tg_op, v_cfg) using v_log;',
        '    return null;',
        'end',
        ''
    );
    if not p_apply then
        return v_body;
    end if;

    execute format(
        'create or replace function audit.%I() returns trigger language plpgsql security definer %s as %L',
        v_fn, audit._pinned_settings(), v_body
    );
    execute format('revoke all on function audit.%I() from public', v_fn);
    raise debug 'audit: capture of % is audit.%(): %', v_rel, v_fn, v_body;
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
    if v_holds_rows then
        execute format(
            'create or replace trigger audit_trail_truncate before truncate on %s '
            'for each statement execute function audit.%I()', v_rel, v_fn
        );
        -- A row trigger with a transition table, which never fires (WHEN false): PostgreSQL then
        -- refuses to make the table a partition or an inheritance child of another, whose writes
        -- would reach it without its statement triggers.
        if not (select c.relispartition from pg_catalog.pg_class as c where c.oid = p_relid)
            and not exists (select from pg_catalog.pg_inherits as i where i.inhrelid = p_relid) then
            execute format(
                'create or replace trigger audit_trail_no_parent after insert on %s '
                'referencing new table as audit_no_parent for each row when (false) '
                'execute function audit._never_runs()', v_rel
            );
        end if;
    end if;
    -- A function of 0.2.0 or earlier, named by the relation's oid, gives way to the numbered one.
    if v_old_fn is not null and v_old_fn <> v_fn then
        execute format('drop function if exists audit.%I()', v_old_fn);
    end if;
    return v_body;
end
$$;
