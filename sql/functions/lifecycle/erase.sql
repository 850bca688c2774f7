-- The right to erasure for one record of table tbl (key id, as audit.state_at takes it): in every
-- log row of the record (found as audit.history finds it, across key changes) every value but the
-- key's becomes "[erased]" (JSON nulls stay null); in every log row where the record was the actor
-- (actor_id equal to any key it had, or actor_email equal to any e-mail the record ever held: a
-- string with an @ at any depth of its values), the actor's e-mail and id become "[erased]", and so
-- does any such string in the row's context.
-- Actions, times, changed_fields, other records' rows and the order of events stay. Recorded in
-- audit.operations; returns the number of log rows rewritten. Only the package's owner may run
-- it (42501); a record the log does not know is an error (P0002); erasing again is harmless.
-- Capture goes on meanwhile: erase the record from the table first, or its later changes are
-- logged in clear again.
create or replace function audit.erase(tbl regclass, id anycompatible, reason text)
returns bigint
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
    v_cfg audit.config;
    v_key text;
    v_ids bigint [];
    v_strings text [];
    v_keys text [];
    v_n bigint;
    v_rewritten bigint := 0;
begin
    perform audit._check_lifecycle_role('audit.erase');
    v_cfg := audit._config_of(tbl, 'audit.erase');
    if reason is null or pg_catalog.btrim(reason) = '' then
        raise exception using
            errcode = '22004',
            message = format('audit.erase: a reason must be given for erasing a record of %s', tbl),
            hint = 'It is recorded in audit.operations, e.g. ''erasure request #123''.';
    end if;
    v_key := audit._record_key(v_cfg, id::text, pg_catalog.pg_typeof(id) in ('jsonb'::regtype, 'json'::regtype),
        'audit.erase');
    -- One purge or erasure at a time; readers and capture do not wait for this lock.
    lock table audit.operations in share row exclusive mode;
    select pg_catalog.array_agg(h.log_id) into v_ids from audit.history(tbl, id) as h;
    if v_ids is null then
        raise exception using
            errcode = 'P0002',
            message = format('audit.erase: table %s has no record with key %s in the log', tbl, audit._shown(v_key));
    end if;
    -- Every key the record ever had (an actor_id names one of them).
    select pg_catalog.array_agg(distinct k.k) into v_keys
    from audit.logs as l
    cross join lateral (values (l.record_id), (l.old_record_id)) as k (k)
    where l.id = any(v_ids) and k.k is not null;
    -- Every e-mail the record ever held: each string with an @, at any depth of its values (an array
    -- of addresses, a jsonb profile), its key's included (a table keyed by e-mail). Only those: a
    -- status or a name that happens to equal some actor's text is not the record's e-mail.
    select coalesce(pg_catalog.array_agg(distinct s.v), '{}') into v_strings
    from audit.logs as l
    cross join lateral (
        select x #>> '{}' as v
        from pg_catalog.jsonb_path_query(
            pg_catalog.jsonb_build_array(l.new_values, l.old_values), 'strict $.** ? (@.type() == "string")'
        ) as x
    ) as s
    where l.id = any(v_ids) and pg_catalog.strpos(s.v, '@') > 0;

    perform pg_catalog.set_config('audit.lifecycle', 'erase', true);
    update audit.logs as l
    set new_values = audit._erased(l.new_values, v_cfg.key_columns),
        old_values = audit._erased(l.old_values, v_cfg.key_columns)
    where l.id = any(v_ids)
        and (l.new_values is distinct from audit._erased(l.new_values, v_cfg.key_columns)
            or l.old_values is distinct from audit._erased(l.old_values, v_cfg.key_columns));
    get diagnostics v_n = row_count;
    v_rewritten := v_rewritten + v_n;
    -- Rows where the record was the actor, in any table's log.
    update audit.logs as l
    set actor_email = case when l.actor_email = any(v_strings) then '[erased]' else l.actor_email end,
        actor_id = case when l.actor_id = any(v_keys) then '[erased]' else l.actor_id end,
        context = audit._erased_strings(l.context, v_strings)
    where l.id in (
        select a.id from audit.logs as a where a.actor_email = any(v_strings)
        union
        select a.id from audit.logs as a where a.actor_id = any(v_keys)
    );
    get diagnostics v_n = row_count;
    v_rewritten := v_rewritten + v_n;
    perform pg_catalog.set_config('audit.lifecycle', '', true);

    insert into audit.operations (kind, schema_name, table_name, record_id, reason, rows_rewritten)
    values ('erase', v_cfg.log_schema, v_cfg.log_table, v_key, reason, v_rewritten);
    return v_rewritten;
end
$$;
