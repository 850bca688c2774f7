-- The columns that differ between two row states: {"col": {"old": ..., "new": ...}}. A column
-- present on one side only counts as NULL on the other; values are compared by their text, so
-- 1.0 -> 1.00 is a difference, as it is for changed_fields. NULL inputs count as empty rows.
create or replace function audit.diff(before jsonb, after jsonb)
returns jsonb
language sql immutable
set search_path = pg_catalog, pg_temp
as $$
    select coalesce(pg_catalog.jsonb_object_agg(
        coalesce(b.key, a.key),
        pg_catalog.jsonb_build_object('old', coalesce(b.value, 'null'), 'new', coalesce(a.value, 'null'))
    ), '{}')
    from pg_catalog.jsonb_each(coalesce(before, '{}')) as b
    full join pg_catalog.jsonb_each(coalesce(after, '{}')) as a on b.key = a.key
    where coalesce(b.value, 'null')::text is distinct from coalesce(a.value, 'null')::text
$$;
