-- SQL expression reading column p_col of transition-table alias p_alias for pairing old and new
-- rows (its carrier): its jsonb for an untrusted type (audit._json_expr); else its text where it
-- is compared as text (audit._compares_as_text) and for a virtual generated column, whose value
-- p_virtual_value is given (v.v3: PostgreSQL 18 leaves virtual columns uncomputed in transition
-- tables, and audit._lateral_joins_sql computes them).
create or replace function audit._pairing_value_expr(p_alias text, p_col text, p_typid oid, p_virtual_value text)
returns text
language sql stable
set search_path = pg_catalog, pg_temp
as $$
    select case
        when not audit._type_is_trusted(p_typid)
            then audit._json_expr(coalesce(p_virtual_value, format('%s.%I', p_alias, p_col)), p_typid)
        when p_virtual_value is not null then format('(%s)::text', p_virtual_value)
        when audit._compares_as_text(p_typid) then format('%s.%I::text', p_alias, p_col)
        else format('%s.%I', p_alias, p_col)
    end
$$;
