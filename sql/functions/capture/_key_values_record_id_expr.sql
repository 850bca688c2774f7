-- SQL expression giving record_id from key columns p_key whose values are the expressions
-- p_values, of types p_types (in key order). One key column: its canonical text
-- (audit._key_text_expr); several: the jsonb text of {"col": value, ...} (audit._key_json_expr).
create or replace function audit._key_values_record_id_expr(p_key text[], p_values text[], p_types oid[])
returns text
language sql stable
set search_path = pg_catalog, pg_temp
as $$
    select case
        when pg_catalog.cardinality(p_key) = 1 then audit._key_text_expr(p_values[1], p_types[1])
        else format('pg_catalog.jsonb_build_object(%s)::text', (
            select pg_catalog.string_agg(
                format('%L, %s', p_key[i], audit._key_json_expr(p_values[i], p_types[i])), ', ' order by i
            )
            from pg_catalog.generate_subscripts(p_key, 1) as i
        ))
    end
$$;
