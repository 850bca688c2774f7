-- SQL expression giving record_id from the key columns' values. Without p_carried, a key column's
-- value is column <p_source>.<name> of a row (x.id, (r).id); with it, it is the column's carrier
-- in the pairing of an UPDATE's rows (audit._update_pieces): <p_source><position>::<type>, o1 or
-- n1, whose value is the jsonb of an untrusted type. One key column: its canonical text;
-- several: the jsonb text of {"col": value, ...}.
create or replace function audit._record_id_expr(
    p_relid oid, p_key text[], p_source text, p_carried boolean default false
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
            case when p_carried then format('%s%s::%s', p_source, c.pos, c.cast_type)
                else format('%s.%I', p_source, k.col) end as expr
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
