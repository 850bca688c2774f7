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
    perform audit._check_horizon(ts, 'audit.state_at');
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
