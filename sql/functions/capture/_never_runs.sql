-- The function of the audit_trail_no_parent trigger, whose WHEN (false) never lets it run: the
-- trigger exists only so that PostgreSQL refuses to give an audited table a parent.
create or replace function audit._never_runs()
returns trigger
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
begin
    return null;
end
$$;
