-- Whether a column's values travel as text through the arrays that pair old and new rows of an
-- UPDATE: arrays (array_agg would nest them) and every type compared by its text form.
create or replace function audit._compares_as_text(p_typid oid)
returns boolean
language sql stable
set search_path = pg_catalog, pg_temp
as $$
    select p_typid not in (
        'int2'::regtype, 'int4'::regtype, 'int8'::regtype, 'text'::regtype, 'varchar'::regtype,
        'bool'::regtype, 'uuid'::regtype, 'date'::regtype, 'timestamp'::regtype,
        'timestamptz'::regtype, 'bytea'::regtype, 'oid'::regtype, 'name'::regtype,
        'bpchar'::regtype, '"char"'::regtype, 'numeric'::regtype
    )
$$;
