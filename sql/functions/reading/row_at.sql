-- The record with key id as it was at ts, as the table's own row type: audit.row_at(NULL::users, 123, ts).
-- NULL if it did not exist then. Columns added since are NULL, dropped ones are ignored, and
-- redacted columns are NULL (their values were never stored).
create or replace function audit.row_at(rowtype anyelement, id anycompatible, ts timestamptz)
returns anyelement
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
    v_tbl regclass := audit._table_of_rowtype(pg_catalog.pg_typeof(rowtype), 'audit.row_at');
    v_cfg audit.config := audit._config_of(v_tbl, 'audit.row_at');
    v_state jsonb;
begin
    -- Building the row type runs its domains' checks, as the reader: only trusted ones.
    perform audit._check_typed_read(pg_catalog.pg_typeof(rowtype), 'audit.row_at');
    select s.state into v_state from audit.state_at(v_tbl, id, ts) as s;
    if v_state is null then
        return null;
    end if;
    return audit._state_as_row(rowtype, v_state - v_cfg.redact_columns);
end
$$;
