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
