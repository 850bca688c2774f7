-- Whether relation p_relid captures for the audited table whose log rows carry the names
-- p_log_schema.p_log_table: it is that table, or a partition or inheritance child of it at any
-- depth, and no audited table nearer to it comes first.
create or replace function audit._captures_for(p_relid oid, p_log_schema text, p_log_table text)
returns boolean
language sql stable
set search_path = pg_catalog, pg_temp
as $$
    select coalesce(c.log_schema = p_log_schema and c.log_table = p_log_table, false)
    from audit._captured_config(p_relid) as c
$$;
