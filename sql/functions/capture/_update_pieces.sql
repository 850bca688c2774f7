-- The named pieces of the statements that log an UPDATE of relation p_relid (assembled by
-- audit._update_statement_sql for its three pairings). Old and new rows become carriers o1..oN and n1..nN, one per column by
-- position (audit._pairing_value_expr: text for types compared as text, jsonb for untrusted
-- types), and dK says whether column K differs: computed once per row pair, then used for
-- changed_fields, for old_values and for the filter.
--   old_carriers, new_carriers    "x.id as o1, ..." from a row of audit_old (x), audit_new (y)
--   old_arrays, new_arrays        the same, aggregated into one array per column
--   unnested                      those arrays zipped back into rows
--   diffs                         "o1, n1, <o1 differs from n1> as d1, ..."
--   changed_fields                the names of the differing columns, sorted
--   old_values                    the differing columns' old values, as a jsonb object
--   old_values_from_row           the same from the old row's jsonb (oj), minus unchanged keys:
--                                 far fewer expressions to set up, for the one-row statement
--   filter                        some column other than ignore_columns differs
--   old_record_id, record_id      the key of the old and of the new row
-- The names the pieces and pairings share: x and y, a row of audit_old and of audit_new; j, that
-- row as logged (audit._lateral_joins_sql), so oj and nj are the old and new row's jsonb; v, the
-- row's virtual column values; o and n, the old and new side of a pairing, d the paired rows.
create or replace function audit._update_pieces(p_relid oid, p_cfg audit.config)
returns table (
    old_carriers text, new_carriers text, old_arrays text, new_arrays text, unnested text, diffs text,
    changed_fields text, old_values text, old_values_from_row text, filter text,
    old_record_id text, record_id text
)
language sql stable
set search_path = pg_catalog, pg_temp
as $$
    select
        pg_catalog.string_agg(format('%s as o%s', r.old_carrier, c.pos), ', ' order by c.pos) as old_carriers,
        pg_catalog.string_agg(format('%s as n%s', r.new_carrier, c.pos), ', ' order by c.pos) as new_carriers,
        pg_catalog.string_agg(format('pg_catalog.array_agg(%s) as o%s', r.old_carrier, c.pos), ', '
            order by c.pos) as old_arrays,
        pg_catalog.string_agg(format('pg_catalog.array_agg(%s) as n%s', r.new_carrier, c.pos), ', '
            order by c.pos) as new_arrays,
        pg_catalog.string_agg(format(
            'pg_catalog.unnest(a.o%1$s) as o%1$s, pg_catalog.unnest(b.n%1$s) as n%1$s', c.pos
        ), ', ' order by c.pos) as unnested,
        pg_catalog.string_agg(format('o%1$s, n%1$s, %2$s as d%1$s', c.pos, audit._distinct_expr(
            'o' || c.pos, 'n' || c.pos, case
                when not c.trusted then 'pg_catalog.jsonb'::regtype
                when c.is_virtual then 'text'::regtype
                else c.typid
            end
        )), ', ' order by c.pos) as diffs,
        format('pg_catalog.array_remove(array[%s]::text[], null)', pg_catalog.string_agg(format(
            'case when d%s then %L end', c.pos, c.name
        ), ', ' order by c.name collate "C")) as changed_fields,
        -- (array_to_string skips NULLs like concat_ws, and takes more than 100 columns.)
        format('(''{'' || pg_catalog.array_to_string(array[%s]::text[], '','') || ''}'')::jsonb',
            pg_catalog.string_agg(format(
            'case when d%s then %L || %s end',
            c.pos,
            pg_catalog.to_json(c.name)::text || ':',
            case
                when c.name = any(p_cfg.redact_columns)
                    then format('case when o%s is null then ''null'' else ''"[redacted]"'' end', c.pos)
                when audit._compares_as_text(c.typid) or c.is_virtual
                    then format('coalesce(pg_catalog.to_json(o%s::%s)::text, ''null'')', c.pos, c.cast_type)
                else format('coalesce(pg_catalog.to_json(o%s)::text, ''null'')', c.pos)
            end
        ), ', ' order by c.pos)) as old_values,
        format('oj operator(pg_catalog.-) pg_catalog.array_remove(array[%s]::text[], null)',
            pg_catalog.string_agg(format('case when not d%s then %L end', c.pos, c.name), ', ' order by c.pos))
            as old_values_from_row,
        coalesce(pg_catalog.string_agg(format('d%s', c.pos), ' or ' order by c.pos)
            filter (where not c.name = any(p_cfg.ignore_columns)), 'false') as filter,
        audit._carried_record_id_expr(p_relid, p_cfg.key_columns, 'o') as old_record_id,
        audit._carried_record_id_expr(p_relid, p_cfg.key_columns, 'n') as record_id
    from audit._columns(p_relid) as c
    cross join lateral (
        select
            audit._pairing_value_expr('x', c.name, c.typid, case when c.is_virtual then 'v.v' || c.pos end)
                as old_carrier,
            audit._pairing_value_expr('y', c.name, c.typid, case when c.is_virtual then 'v.v' || c.pos end)
                as new_carrier
    ) as r
$$;
