-- SQL expression reading column p_col of transition-table alias p_alias for pairing old and new
-- rows: its jsonb for an untrusted type (audit._json_expr); else its text where it is compared
-- as text (audit._compares_as_text) and for a virtual generated column, whose expression is evaluated
-- here (PostgreSQL 18 leaves virtual columns uncomputed in transition tables; the expression's
-- column names resolve to p_alias's row).
create or replace function audit._pairing_value_expr(p_alias text, p_col text, p_typid oid, p_virtual_expr text)
returns text
language sql stable
set search_path = pg_catalog, pg_temp
as $$
    select case
        when not audit._type_is_trusted(p_typid)
            then audit._json_expr(coalesce('(' || p_virtual_expr || ')', format('%s.%I', p_alias, p_col)), p_typid)
        when p_virtual_expr is not null then format('(%s)::text', p_virtual_expr)
        when audit._compares_as_text(p_typid) then format('%s.%I::text', p_alias, p_col)
        else format('%s.%I', p_alias, p_col)
    end
$$;
