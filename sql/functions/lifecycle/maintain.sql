-- The one function to schedule (pg_cron, cron, any scheduler): purges the log rows older than
-- audit.retention's period (audit.purge(now() - period)). Returns the number of log rows deleted,
-- or NULL, doing nothing, when the period is NULL (keep everything, the default).
create or replace function audit.maintain()
returns bigint
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
    v_period interval;
begin
    perform audit._check_lifecycle_role('audit.maintain');
    select r.period into v_period from audit.retention as r;
    if v_period is null then
        return null;
    end if;
    if v_period < interval '0' then
        raise exception using
            errcode = '22023',
            message = format('audit.maintain: audit.retention''s period must not be negative, not %s', v_period),
            hint = 'UPDATE audit.retention SET period = interval ''12 months'' (or NULL, to keep everything).';
    end if;
    return audit.purge(pg_catalog.now() - v_period, format('audit.maintain: retention period %s', v_period));
end
$$;
