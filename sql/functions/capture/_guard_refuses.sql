-- Raises the partition guard's error for a write to partition p_part of audited table p_root.
create or replace function audit._guard_refuses(p_part oid, p_root oid)
returns void
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
    v_parent regclass := (select i.inhparent::regclass from pg_catalog.pg_inherits as i where i.inhrelid = p_root);
begin
    if v_parent is not null then
        raise exception using
            errcode = '55000',
            message = format('audit: audited table %s has become a partition of %s, whose writes it cannot log',
                p_root::regclass, v_parent),
            hint = 'Detach it again, or disable its auditing and audit the new parent instead.';
    end if;
    raise exception using
        errcode = '55000',
        message = format('audit: partition %s of audited table %s is not covered by the audit trail yet',
            p_part::regclass, p_root::regclass),
        hint = format('It was created or attached after audit.enable; run SELECT audit.enable(%L).',
            p_root::regclass::text);
end
$$;
