-- SQL expression giving record_id from the key columns' carriers in the pairing of an UPDATE's
-- rows (audit._update_pieces): <p_prefix><position>::<type>, as o1::bigint or n1::bigint. The
-- carrier of an untrusted type holds its jsonb (audit._pairing_value_expr), and is read as such.
create or replace function audit._carried_record_id_expr(p_relid oid, p_key text[], p_prefix text)
returns text
language sql stable
set search_path = pg_catalog, pg_temp
as $$
    select audit._key_values_record_id_expr(p_key,
        array_agg(format('%s%s::%s', p_prefix, c.pos, c.cast_type) order by k.ord),
        array_agg(case when c.trusted then c.typid else 'pg_catalog.jsonb'::regtype::oid end order by k.ord))
    from pg_catalog.unnest(p_key) with ordinality as k (col, ord)
    inner join audit._columns(p_relid) as c on c.name = k.col
$$;
