-- Keeps audit.logs append-only: UPDATE, DELETE and TRUNCATE fail for every role, its owner included.
-- The one exception: DELETE and UPDATE inside audit.purge and audit.erase, which set the
-- transaction-local flag audit.lifecycle for their own statements and clear it before they return,
-- and run only as the log's owner. (The owner can bypass this rule anyway, by disabling the
-- trigger; see the README's Security section. Nobody else has DELETE or UPDATE on the log.)
create or replace function audit._logs_append_only()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
    if tg_op in ('DELETE', 'UPDATE')
        and pg_catalog.current_setting('audit.lifecycle', true) in ('purge', 'erase')
        and pg_catalog.pg_has_role(current_user, (
            select c.relowner from pg_catalog.pg_class as c where c.oid = tg_relid
        ), 'MEMBER') then
        return null;
    end if;
    raise exception using
        errcode = '42501',
        message = format('audit: audit.logs is append-only; %s is not allowed', tg_op),
        hint = 'Log rows are written only by the capture triggers of audited tables, '
            'and removed or rewritten only by audit.purge and audit.erase.';
end
$$;

-- Each trigger is made again only when it is not as wanted (missing, disabled, changed): CREATE OR
-- REPLACE TRIGGER locks the log against writers even when it changes nothing. tgtype bits: 2 BEFORE,
-- 8 DELETE, 16 UPDATE, 32 TRUNCATE; for each statement.
do $$
declare
    v_want record;
begin
    for v_want in
        select w.name, w.events from (values
            ('logs_append_only', 'before update or delete', 26),
            ('logs_no_truncate', 'before truncate', 34)
        ) as w (name, events, tgtype)
        where not exists (
            select from pg_catalog.pg_trigger as t
            where t.tgrelid = 'audit.logs'::regclass and t.tgname = w.name and t.tgtype = w.tgtype
                and t.tgfoid = 'audit._logs_append_only()'::regprocedure and t.tgenabled = 'O'
                and t.tgqual is null and t.tgnargs = 0 and t.tgattr = ''
        )
    loop
        perform audit._lock_log('share row exclusive');
        execute pg_catalog.format(
            'create or replace trigger %I %s on audit.logs for each statement execute function audit._logs_append_only()',
            v_want.name, v_want.events
        );
    end loop;
end
$$;
