-- SQL expression giving record_id from the key columns' values. p_colfmt is a format() pattern for
-- one column's value: %1$s is the quoted column name, %2$s its position among the live columns
-- (from 1), %3$s its type (audit._columns' cast_type). p_carried: the values are capture's
-- carriers (an untrusted column's is its jsonb already). One key column: its canonical text;
-- several: the jsonb text of {"col": value, ...}.
create or replace function audit._record_id_expr(
    p_relid oid, p_key text[], p_colfmt text, p_carried boolean default false
)
returns text
language sql stable
set search_path = pg_catalog, pg_temp
as $$
    with cols as (
        select
            k.ord,
            k.col,
            case when p_carried and not c.trusted then 'pg_catalog.jsonb'::regtype::oid else c.typid end as typid,
            format(p_colfmt, pg_catalog.quote_ident(k.col), c.pos, c.cast_type) as expr
        from pg_catalog.unnest(p_key) with ordinality as k (col, ord)
        inner join audit._columns(p_relid) as c on c.name = k.col
    )
    select case
        when pg_catalog.cardinality(p_key) = 1 then
            (select audit._key_text_expr(cols.expr, cols.typid) from cols)
        else format('pg_catalog.jsonb_build_object(%s)::text', (
            select pg_catalog.string_agg(
                format('%L, %s', cols.col, audit._key_json_expr(cols.expr, cols.typid)), ', ' order by cols.ord
            )
            from cols
        ))
    end
$$;
