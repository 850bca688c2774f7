-- SQL expression giving the canonical JSON value of one key column, session-independent:
-- numerics lose trailing zeros, timestamptz is written in UTC, dates and timestamps in ISO 8601;
-- a value of an untrusted type (an enum, a user's range) is converted by audit._json_expr.
create or replace function audit._key_json_expr(p_expr text, p_typid oid)
returns text
language sql stable
set search_path = pg_catalog, pg_temp
as $$
    select case
        when not audit._type_is_trusted(p_typid) then audit._json_expr(p_expr, p_typid)
        else case p_typid
        when 'numeric'::regtype then format('pg_catalog.to_jsonb(pg_catalog.trim_scale(%s))', p_expr)
        when 'timestamptz'::regtype then
            format('pg_catalog.to_jsonb((pg_catalog.to_jsonb((%s) at time zone ''UTC'') #>> ''{}'') || ''+00:00'')',
                p_expr)
        else format('pg_catalog.to_jsonb(%s)', p_expr)
        end
    end
$$;

-- SQL expression giving the canonical text of one key column (record_id of a one-column key).
create or replace function audit._key_text_expr(p_expr text, p_typid oid)
returns text
language sql stable
set search_path = pg_catalog, pg_temp
as $$
    select case
        when p_typid in ('int2'::regtype, 'int4'::regtype, 'int8'::regtype, 'uuid'::regtype, 'oid'::regtype)
            then format('(%s)::text', p_expr)
        when p_typid in ('text'::regtype, 'varchar'::regtype) then format('(%s)::text', p_expr)
        else format('(%s #>> ''{}'')', audit._key_json_expr(p_expr, p_typid))
    end
$$;

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

-- Whether a column's values travel as text through the arrays that pair old and new rows of an
-- UPDATE: arrays (array_agg would nest them) and every type compared by its text form.
create or replace function audit._as_text(p_typid oid)
returns boolean
language sql stable
set search_path = pg_catalog, pg_temp
as $$
    select p_typid not in (
        'int2'::regtype, 'int4'::regtype, 'int8'::regtype, 'text'::regtype, 'varchar'::regtype,
        'bool'::regtype, 'uuid'::regtype, 'date'::regtype, 'timestamp'::regtype,
        'timestamptz'::regtype, 'bytea'::regtype, 'oid'::regtype, 'name'::regtype,
        'bpchar'::regtype, '"char"'::regtype, 'numeric'::regtype
    )
$$;

-- SQL expression reading column p_col of transition-table alias p_alias for pairing old and new
-- rows: its jsonb for an untrusted type (audit._json_expr); else its text where it is compared
-- as text (audit._as_text) and for a virtual generated column, whose expression is evaluated
-- here (PostgreSQL 18 leaves virtual columns uncomputed in transition tables; the expression's
-- column names resolve to p_alias's row).
create or replace function audit._carrier(p_alias text, p_col text, p_typid oid, p_virtual_expr text)
returns text
language sql stable
set search_path = pg_catalog, pg_temp
as $$
    select case
        when not audit._type_is_trusted(p_typid)
            then audit._json_expr(coalesce('(' || p_virtual_expr || ')', format('%s.%I', p_alias, p_col)), p_typid)
        when p_virtual_expr is not null then format('(%s)::text', p_virtual_expr)
        when audit._as_text(p_typid) then format('%s.%I::text', p_alias, p_col)
        else format('%s.%I', p_alias, p_col)
    end
$$;

-- SQL expression that is true when two values of one column differ. Types whose equality is
-- identity compare with IS DISTINCT FROM; every other type compares its text form, so that
-- 1.0 -> 1.00, '1 day' -> '24 hours' or a case change in citext is a change; text compares
-- byte for byte (collation "C"), so a nondeterministic collation cannot hide a change.
create or replace function audit._distinct_expr(p_a text, p_b text, p_typid oid)
returns text
language sql stable
set search_path = pg_catalog, pg_temp
as $$
    select case
        when p_typid = 'numeric'::regtype or audit._as_text(p_typid)
            then format('(%s)::text collate "C" is distinct from (%s)::text collate "C"', p_a, p_b)
        when p_typid in ('text'::regtype, 'varchar'::regtype, 'bpchar'::regtype, 'name'::regtype)
            then format('%s collate "C" is distinct from %s collate "C"', p_a, p_b)
        else format('%s is distinct from %s', p_a, p_b)
    end
$$;
