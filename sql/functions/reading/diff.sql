-- The columns that differ between two row states: {"col": {"old": ..., "new": ...}}. A column
-- present on one side only counts as NULL on the other; values are compared by their text, so
-- 1.0 -> 1.00 is a difference, as it is for changed_fields. NULL inputs count as empty rows; any
-- other value that is not a JSON object (an array, a scalar, JSON null) raises 22023.
create or replace function audit.diff(before jsonb, after jsonb)
returns jsonb
language plpgsql immutable
set search_path = pg_catalog, pg_temp
as $$
declare
    v_result jsonb;
begin
    if pg_catalog.jsonb_typeof(before) <> 'object' or pg_catalog.jsonb_typeof(after) <> 'object' then
        raise exception using
            errcode = '22023',
            message = format('audit.diff: %s must be a JSON object (a row state), not a JSON %s',
                case when pg_catalog.jsonb_typeof(before) <> 'object' then 'before' else 'after' end,
                case when pg_catalog.jsonb_typeof(before) <> 'object' then pg_catalog.jsonb_typeof(before)
                    else pg_catalog.jsonb_typeof(after) end),
            hint = 'Give two row states such as audit.state_at(...).state, or NULL for no row.';
    end if;
    select coalesce(pg_catalog.jsonb_object_agg(
        coalesce(b.key, a.key),
        pg_catalog.jsonb_build_object('old', coalesce(b.value, 'null'), 'new', coalesce(a.value, 'null'))
    ), '{}')
    into v_result
    from pg_catalog.jsonb_each(coalesce(before, '{}')) as b
    full join pg_catalog.jsonb_each(coalesce(after, '{}')) as a on b.key = a.key
    where coalesce(b.value, 'null')::text is distinct from coalesce(a.value, 'null')::text;
    return v_result;
end
$$;
