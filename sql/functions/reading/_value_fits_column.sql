-- Whether the jsonb value p_value fits column p_key of p_row's type.
create or replace function audit._value_fits_column(p_row anyelement, p_key text, p_value jsonb)
returns boolean
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
begin
    perform pg_catalog.jsonb_populate_record(p_row, pg_catalog.jsonb_build_object(p_key, p_value));
    return true;
exception when data_exception then
    return false;
end
$$;
