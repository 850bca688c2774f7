-- SQL expression that is true when two values of one column differ. Types whose equality is
-- identity compare with IS DISTINCT FROM; every other type compares its text form, so that
-- 1.0 -> 1.00, '1 day' -> '24 hours' or a case change in citext is a change; text compares
-- byte for byte (collation "C"), so a nondeterministic collation cannot hide a change.
create or replace function audit._distinct_expr(p_a text, p_b text, p_typid oid)
returns text
language sql stable
set search_path = pg_catalog, pg_temp
as $$
    select case
        when p_typid = 'numeric'::regtype or audit._compares_as_text(p_typid)
            then format('(%s)::text collate "C" is distinct from (%s)::text collate "C"', p_a, p_b)
        when p_typid in ('text'::regtype, 'varchar'::regtype, 'bpchar'::regtype, 'name'::regtype)
            then format('%s collate "C" is distinct from %s collate "C"', p_a, p_b)
        else format('%s is distinct from %s', p_a, p_b)
    end
$$;
