-- SQL expression giving record_id from the key columns' values, read as columns of row p_row
-- (x.id, (r).id). One key column: its canonical text; several: the jsonb text of
-- {"col": value, ...}.
create or replace function audit._record_id_expr(p_relid oid, p_key text[], p_row text)
returns text
language sql stable
set search_path = pg_catalog, pg_temp
as $$
    select audit._key_values_record_id_expr(p_key, array(
        select format('%s.%I', p_row, k.col) from pg_catalog.unnest(p_key) with ordinality as k (col, ord)
        order by k.ord
    ), array(
        select c.typid from pg_catalog.unnest(p_key) with ordinality as k (col, ord)
        inner join audit._columns(p_relid) as c on c.name = k.col
        order by k.ord
    ))
$$;
