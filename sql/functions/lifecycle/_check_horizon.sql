-- Raises 22023, naming the cut, when a read at p_ts asks for a moment before the latest purge's
-- cut: the log no longer holds what was true then. One indexed row of audit.operations; runs as
-- the package owner, so that readers need no grant on audit.operations.
create or replace function audit._check_horizon(p_ts timestamptz, p_caller text)
returns void
language plpgsql stable security definer
set search_path = pg_catalog, pg_temp
as $$
declare
    v_cut timestamptz;
begin
    select o.cut into v_cut
    from audit.operations as o
    where o.kind = 'purge'
    order by o.cut desc
    limit 1;
    if p_ts < v_cut then
        raise exception using
            errcode = '22023',
            message = format('%s: %s is before the purge cut %s; the log holds nothing older',
                p_caller, p_ts, v_cut),
            hint = 'Read at a moment at or after the cut (audit.operations lists the purges).';
    end if;
end
$$;
