-- Every record of a table as it was at ts, as the table's own row type:
-- SELECT * FROM audit.rows_at(NULL::users, ts). Columns as in audit.row_at.
create or replace function audit.rows_at(rowtype anyelement, ts timestamptz)
returns setof anyelement
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
begin
    return query select * from audit.rows_at(rowtype, ts, null);
end
$$;

-- The same, only the records whose state at ts contains filter (see audit.table_at with a filter):
-- SELECT * FROM audit.rows_at(NULL::users_organizations, ts, '{"user_id": 98}').
create or replace function audit.rows_at(rowtype anyelement, ts timestamptz, filter jsonb)
returns setof anyelement
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
    v_tbl regclass := audit._table_of_rowtype(pg_catalog.pg_typeof(rowtype), 'audit.rows_at');
    v_cfg audit.config := audit._config_of(v_tbl, 'audit.rows_at');
begin
    -- Building the row type runs its domains' checks, as the reader: only trusted ones.
    perform audit._check_typed_read(pg_catalog.pg_typeof(rowtype), 'audit.rows_at');
    -- Row by row only when some state no longer fits the table (a column dropped and added again).
    begin
        perform pg_catalog.count(pg_catalog.jsonb_populate_record(rowtype, t.state - v_cfg.redact_columns))
        from audit.table_at(v_tbl, ts, filter) as t;
        return query
        select (pg_catalog.jsonb_populate_record(rowtype, t.state - v_cfg.redact_columns)).*
        from audit.table_at(v_tbl, ts, filter) as t;
        return;
    exception when data_exception then
        null;
    end;
    return query
    select (audit._state_as_row(rowtype, t.state - v_cfg.redact_columns)).*
    from audit.table_at(v_tbl, ts, filter) as t;
end
$$;
