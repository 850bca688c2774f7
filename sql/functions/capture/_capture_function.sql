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
    v_is_leaf boolean := (select c.relkind <> 'p' from pg_catalog.pg_class as c where c.oid = p_relid);
    v_vars text [] := array[
        'v_ts', 'v_xid', 'v_email', 'v_type', 'v_id', 'v_mig', 'v_ctx', 'v_user', 'v_app', 'v_addr'
    ];
    v_params text [] := array['$1', '$2', '$3', '$4', '$5', '$6', '$7', '$8', '$9', '$10'];
    v_shape text [] := audit._shape(p_relid);
    -- A partition or inheritance child (not the audited table itself): its code also checks, as it
    -- runs, that it still captures for its table (see audit._shape_matches).
    v_below boolean := p_relid <> p_cfg.relid::oid;
    v_body text;
begin
    if not p_apply and v_old_fn !~ '^capture_n[0-9]+$' then
        return null;
    end if;
    v_fn := case when p_apply then audit._capture_name(p_relid, 'capture') else v_old_fn end;
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
        from (select audit._shape_matches(%3$L, %2$L::text[], %10$L, %13$L)%14$s as ok) as s;
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
        from (select audit._shape_matches(%3$L, %2$L::text[], %10$L, %13$L)%14$s as ok) as s
        left join (select from audit_new limit 0) as r on true;
        if v_ok then
            %5$s;
            return null;
        end if;
    elsif tg_op = 'DELETE' then
        select s.ok into v_ok
        from (select audit._shape_matches(%3$L, %2$L::text[], %10$L, %13$L)%14$s as ok) as s
        left join (select from audit_old limit 0) as r on true;
        if v_ok then
            %8$s;
            return null;
        end if;
    end if;
    -- The table's columns changed since audit.enable, or TRUNCATE: the statement for the table as
    -- it is now (an UPDATE's by the join, which also pairs rows of unequal number).
    v_cfg := audit._config_for(tg_relid);
    if tg_op = 'TRUNCATE' then
        perform audit._check_truncate(tg_relid, v_cfg);
    end if;
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
        v_shape, v_fn,
        v_params,
        audit._capture_sql(p_relid, 'INSERT', p_cfg, v_vars),
        audit._capture_sql(p_relid, 'UPDATE', p_cfg, v_vars),
        audit._capture_sql(p_relid, 'UPDATE_LARGE', p_cfg, v_params),
        audit._capture_sql(p_relid, 'DELETE', p_cfg, v_vars),
        audit._capture_sql(p_relid, 'UPDATE_ONE', p_cfg, v_vars),
        p_cfg.log_schema,
        format('audit: cannot pair the old and new rows of an UPDATE on %s', v_rel),
        audit._actor_type_expr('v_type', 'v_email', 'v_id', 'v_mig'),
        p_cfg.log_table,
        case when v_below then format(' and audit._captures_for(tg_relid, %L, %L)', p_cfg.log_schema,
            p_cfg.log_table) else '' end
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
    if v_is_leaf then
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
