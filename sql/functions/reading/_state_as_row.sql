-- p_state as a row of p_row's type, for the typed reads. A value that no longer fits its column
-- (the column was dropped and added again with another type) reads as NULL, as do columns added
-- since the state was logged.
create or replace function audit._state_as_row(p_row anyelement, p_state jsonb)
returns anyelement
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
    v_state jsonb := p_state;
    v_key text;
begin
    loop
        begin
            return pg_catalog.jsonb_populate_record(p_row, v_state);
        exception when data_exception then
            -- Drop the first key whose value does not fit, and try again.
            select k into v_key
            from pg_catalog.jsonb_object_keys(v_state) as k
            where not audit._value_fits_column(p_row, k, v_state -> k)
            limit 1;
            if v_key is null then
                raise;
            end if;
            v_state := v_state - v_key;
        end;
    end loop;
    return null;  -- not reached: the loop returns or raises
end
$$;
