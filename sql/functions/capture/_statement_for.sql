-- The statement that logs event p_event (INSERT, UPDATE, DELETE, TRUNCATE) on relation p_relid as
-- the relation is now, for a capture function to run by EXECUTE with its context as $1: after the
-- relation's columns changed since audit.enable (its own generated statements no longer fit), and
-- for every TRUNCATE (which logs the rows still in the relation, under its current name). An
-- UPDATE takes the join, which pairs rows of any number.
create or replace function audit._statement_for(p_relid oid, p_event text, p_cfg audit.config)
returns text
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
begin
    return case p_event
        when 'INSERT' then audit._whole_rows_sql(p_relid, p_cfg, '$1', 'INSERT')
        when 'UPDATE' then audit._update_join_sql(p_relid, p_cfg, '$1')
        when 'DELETE' then audit._whole_rows_sql(p_relid, p_cfg, '$1', 'DELETE')
        when 'TRUNCATE' then audit._whole_rows_sql(p_relid, p_cfg, '$1', 'TRUNCATE')
    end;
end
$$;
