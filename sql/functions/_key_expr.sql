-- SQL expression giving the canonical JSON value of one key column, session-independent:
-- numerics lose trailing zeros, timestamptz is written in UTC, dates and timestamps in ISO 8601.
create or replace function audit._key_json_expr(p_expr text, p_typid oid)
returns text
language sql immutable
set search_path = pg_catalog, pg_temp
as $$
    select case p_typid
        when 'numeric'::regtype then format('pg_catalog.to_jsonb(pg_catalog.trim_scale(%s))', p_expr)
        when 'timestamptz'::regtype then
            format('pg_catalog.to_jsonb((pg_catalog.to_jsonb((%s) at time zone ''UTC'') #>> ''{}'') || ''+00:00'')',
                p_expr)
        else format('pg_catalog.to_jsonb(%s)', p_expr)
    end
$$;

-- SQL expression giving the canonical text of one key column (record_id of a one-column key).
create or replace function audit._key_text_expr(p_expr text, p_typid oid)
returns text
language sql immutable
set search_path = pg_catalog, pg_temp
as $$
    select case
        when p_typid in ('int2'::regtype, 'int4'::regtype, 'int8'::regtype, 'uuid'::regtype, 'oid'::regtype)
            then format('(%s)::text', p_expr)
        when p_typid in ('text'::regtype, 'varchar'::regtype) then format('(%s)::text', p_expr)
        else format('(%s #>> ''{}'')', audit._key_json_expr(p_expr, p_typid))
    end
$$;

-- SQL expression giving record_id for the row value p_row (an expression of the table's row type).
-- One key column: its canonical text; several: the jsonb text of {"col": value, ...}.
create or replace function audit._record_id_expr(p_relid oid, p_key text[], p_row text)
returns text
language sql stable
set search_path = pg_catalog, pg_temp
as $$
    select case
        when pg_catalog.cardinality(p_key) = 1 then
            audit._key_text_expr(format('(%s).%I', p_row, p_key[1]), c.typid)
        else format('pg_catalog.jsonb_build_object(%s)::text', (
            select pg_catalog.string_agg(
                format('%L, %s', k.col, audit._key_json_expr(format('(%s).%I', p_row, k.col), kc.typid)),
                ', ' order by k.ord
            )
            from pg_catalog.unnest(p_key) with ordinality as k (col, ord)
            inner join audit._columns(p_relid) as kc on kc.name = k.col
        ))
    end
    from audit._columns(p_relid) as c
    where c.name = p_key[1]
$$;

-- SQL expression that is true when column p_col differs between row values p_a and p_b.
-- Types whose equality is identity compare with IS DISTINCT FROM; every other type compares
-- its text form, so that 1.0 -> 1.00, '1 day' -> '24 hours' or a case change in citext is a change.
create or replace function audit._distinct_expr(p_a text, p_b text, p_col text, p_typid oid)
returns text
language sql immutable
set search_path = pg_catalog, pg_temp
as $$
    select case
        when p_typid in (
            'int2'::regtype, 'int4'::regtype, 'int8'::regtype, 'text'::regtype, 'varchar'::regtype,
            'bool'::regtype, 'uuid'::regtype, 'date'::regtype, 'timestamp'::regtype,
            'timestamptz'::regtype, 'bytea'::regtype, 'oid'::regtype, 'name'::regtype,
            'bpchar'::regtype, '"char"'::regtype, 'int2[]'::regtype, 'int4[]'::regtype,
            'int8[]'::regtype, 'text[]'::regtype, 'uuid[]'::regtype, 'varchar[]'::regtype
        )
            then format('(%s).%I is distinct from (%s).%I', p_a, p_col, p_b, p_col)
        else format('(%s).%I::text is distinct from (%s).%I::text', p_a, p_col, p_b, p_col)
    end
$$;
