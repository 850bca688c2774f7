-- Refuses a TRUNCATE of relation p_relid (part of audited table p_cfg) that capture cannot log
-- exactly: outside READ COMMITTED the transaction's snapshot may miss rows committed since it
-- began; row-level security would hide rows from capture; and a partition or inheritance child
-- created since audit.enable has no capture of its own, so its rows would vanish unlogged.
create or replace function audit._check_truncate(p_relid oid, p_cfg audit.config)
returns void
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
    v_uncovered regclass;
begin
    if pg_catalog.current_setting('transaction_isolation') <> 'read committed' then
        raise exception using
            errcode = '25000',
            message = format('audit: TRUNCATE of audited table %s needs a READ COMMITTED transaction, not %s',
                p_relid::regclass, pg_catalog.current_setting('transaction_isolation')),
            hint = 'Its snapshot could miss rows committed since the transaction began, and they would '
                'be removed unlogged. Run the TRUNCATE in a READ COMMITTED transaction, or use DELETE.';
    end if;
    if pg_catalog.row_security_active(p_relid) then
        raise exception using
            errcode = '42501',
            message = format('audit: TRUNCATE of audited table %s: row-level security would hide rows from '
                'the audit trail''s owner %s', p_relid::regclass, current_user),
            hint = 'Let the package owner bypass row-level security (own the table without FORCE, or '
                'BYPASSRLS), or use DELETE.';
    end if;
    select r.relid::regclass into v_uncovered
    from audit._relations(p_cfg.relid) as r (relid)
    inner join pg_catalog.pg_class as c on c.oid = r.relid
    where c.relkind = 'r' and not exists (
        select from pg_catalog.pg_trigger as t where t.tgrelid = r.relid and t.tgname = 'audit_trail_truncate'
    )
    limit 1;
    if found then
        raise exception using
            errcode = '55000',
            message = format('audit: TRUNCATE of audited table %s would remove rows of %s, which is not '
                'covered by the audit trail yet', p_cfg.relid, v_uncovered),
            hint = format('It was created or attached after audit.enable; run SELECT audit.enable(%L).',
                p_cfg.relid::text);
    end if;
end
$$;
