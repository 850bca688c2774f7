-- LATERAL joins that follow "<transition table> as <alias>" in generated capture SQL:
--   v  the values of virtual generated columns (PostgreSQL 18), which transition tables leave
--      uncomputed, as v1..vN by column position; computed first, where the row's columns are the
--      only columns in scope, so that their expressions (unqualified) cannot be ambiguous (and in
--      the capture function a name that is also a PL/pgSQL variable is the column:
--      #variable_conflict use_column);
--   j  (p_json) the row as the log stores it, whose to_jsonb(j.*) is the row's jsonb: redacted
--      columns read '[redacted]' (NULL stays NULL), and the columns come in jsonb's own key order
--      (shorter names first, then bytewise), so that to_jsonb need not sort the keys (measured:
--      about 40% of its cost). An untrusted column's value is its jsonb (audit._json_expr), so
--      that to_jsonb(j.*) meets only built-in types.
create or replace function audit._lateral_joins_sql(p_relid oid, p_cfg audit.config, p_alias text, p_json boolean)
returns text
language sql stable
set search_path = pg_catalog, pg_temp
as $$
    select pg_catalog.concat_ws(' ',
        'cross join lateral (select ' || pg_catalog.string_agg(
            pg_catalog.format('(%s) as v%s', c.expr, c.pos), ', ' order by c.pos) filter (where c.is_virtual)
            || ') as v',
        case when p_json then pg_catalog.format('cross join lateral (select %s) as j', pg_catalog.string_agg(
            pg_catalog.format('%s as %I',
                case when c.name operator(pg_catalog.=) any(p_cfg.redact_columns)
                    then pg_catalog.format('case when pg_catalog.num_nulls(%s) operator(pg_catalog.=) 1 then null '
                        'else ''[redacted]'' end', c.val)
                    when not c.trusted then audit._json_expr(c.val, c.typid)
                    else c.val
                end, c.name),
            ', ' order by pg_catalog.octet_length(c.name), c.name collate "C")) end)
    from (
        select x.name, x.is_virtual, x.expr, x.pos, x.trusted, x.typid,
            case when x.is_virtual then 'v.v' || x.pos else pg_catalog.format('%s.%I', p_alias, x.name) end as val
        from audit._columns(p_relid) as x
    ) as c
$$;
