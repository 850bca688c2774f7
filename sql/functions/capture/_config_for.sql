-- The audit.config row that relation p_relid captures for: its own, or that of the audited table
-- it is a partition or inheritance child of (at any depth). Raises 55000 if there is none.
create or replace function audit._config_for(p_relid oid)
returns audit.config
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
    v audit.config;
begin
    with recursive up (relid, depth) as (
        select p_relid, 0
        union all
        select i.inhparent, u.depth + 1
        from up as u
        inner join pg_catalog.pg_inherits as i on i.inhrelid = u.relid
    )
    select c.* into v
    from up
    inner join audit.config as c on c.relid = up.relid::regclass
    where c.enabled
    order by up.depth
    limit 1;
    if not found then
        raise exception using
            errcode = '55000',
            message = format('audit: %s has capture triggers but is not part of an audited table',
                p_relid::regclass),
            hint = pg_catalog.format('A partition detached or a child taken out of an audited table''s '
                'inheritance keeps its capture triggers: audit.disable(%L) removes them.', p_relid::regclass::text);
    end if;
    return v;
end
$$;
