-- The audit.config row that relation p_relid captures for (audit._captured_config); raises 55000
-- if there is none.
create or replace function audit._config_for(p_relid oid)
returns audit.config
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
    v audit.config;
begin
    v := audit._captured_config(p_relid);
    if v.relid is null then
        raise exception using
            errcode = '55000',
            message = format('audit: %s has capture triggers but is not part of an audited table',
                p_relid::regclass),
            hint = pg_catalog.format('It was detached from, or taken out of the inheritance of, an audited '
                'table, and kept its capture triggers, which refuse its writes: the package''s owner runs '
                'audit.disable(%L) to remove them, or audit.enable(%L) to audit it as a table of its own.',
                p_relid::regclass::text, p_relid::regclass::text);
    end if;
    return v;
end
$$;
