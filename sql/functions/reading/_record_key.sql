-- The record_id under which a key value is logged for table p_cfg. p_id is the key value as
-- text, or for a composite key the text of a jsonb object of the key columns. Raises 22023 for a
-- key of the wrong shape, 22004 for a NULL key or key column, and 22P02 for a value that is not of
-- the key column's type. Messages show the given value through audit._shown (never whole if huge).
-- Runs with capture's settings (audit._pinned_settings) for those that change how a key prints, so
-- that it reads as capture wrote it; DateStyle and TimeZone stay the caller's, because the key
-- arrives as text in the caller's style (its canonical text does not depend on them).
create or replace function audit._record_key(p_cfg audit.config, p_id text, p_is_json boolean, p_caller text)
returns text
language plpgsql stable
set search_path = pg_catalog, pg_temp set extra_float_digits = 1 set bytea_output = hex
set intervalstyle = postgres set array_nulls = on set lc_monetary = 'C' set row_security = off
as $$
declare
    v_json jsonb;
    v_sql text;
    v_result text;
    v_key_list text := pg_catalog.array_to_string(p_cfg.key_columns, ', ');
    v_missing text [];
    v_type oid;
    v_fast boolean := false;
    v_null text;
begin
    if p_id is null then
        raise exception using errcode = '22004', message = format('%s: the key value must not be NULL', p_caller);
    end if;
    if p_is_json then
        v_json := p_id::jsonb;
        if pg_catalog.jsonb_typeof(v_json) = 'object' then
            select pg_catalog.array_agg(k) into v_missing
            from (
                select k from pg_catalog.unnest(p_cfg.key_columns) as k
                where not (v_json ? k)
                union all
                select k from pg_catalog.jsonb_object_keys(v_json) as k
                where k <> all(p_cfg.key_columns)
            ) as x;
            if v_missing is not null then
                raise exception using
                    errcode = '22023',
                    message = format('%s: key %s does not match the key (%s) of table %s',
                        p_caller, audit._shown(p_id), v_key_list, p_cfg.relid::regclass),
                    hint = 'Give a jsonb object with exactly the key columns.';
            end if;
        elsif pg_catalog.cardinality(p_cfg.key_columns) = 1 then
            v_json := pg_catalog.jsonb_build_object(p_cfg.key_columns[1], v_json);
        end if;
    elsif pg_catalog.cardinality(p_cfg.key_columns) = 1 then
        v_json := pg_catalog.jsonb_build_object(p_cfg.key_columns[1], p_id);
    end if;
    if v_json is null or pg_catalog.jsonb_typeof(v_json) <> 'object' then
        raise exception using
            errcode = '22023',
            message = format('%s: table %s has a composite key (%s); give the key as a jsonb object, not %s',
                p_caller, p_cfg.relid::regclass, v_key_list, audit._shown(p_id)),
            hint = format('For example %s.',
                (select pg_catalog.jsonb_object_agg(k, '...') from pg_catalog.unnest(p_cfg.key_columns) as k));
    end if;

    -- A key column given as JSON null names no record: an error, as a NULL key is. (The query
    -- that names the column runs only then.)
    if pg_catalog.jsonb_path_exists(v_json, '$.* ? (@ == null)') then
        select k into v_null
        from pg_catalog.unnest(p_cfg.key_columns) as k
        where pg_catalog.jsonb_typeof(v_json -> k) = 'null'
        limit 1;
        raise exception using
            errcode = '22004',
            message = format('%s: key column %I of table %s must not be NULL (key %s)',
                p_caller, v_null, p_cfg.relid::regclass, audit._shown(p_id));
    end if;

    -- A one-column key of a common type needs no generated SQL: cast and canonicalise here.
    if pg_catalog.cardinality(p_cfg.key_columns) = 1 then
        select a.atttypid into v_type
        from pg_catalog.pg_attribute as a
        where a.attrelid = p_cfg.relid and a.attname = p_cfg.key_columns[1];
        v_fast := v_type in (
            'int2'::regtype, 'int4'::regtype, 'int8'::regtype, 'text'::regtype, 'uuid'::regtype
        );
    end if;
    if not v_fast then
        -- Read every key value as its column's type, then canonicalise it as capture does. Never
        -- through code another role defines (this runs as whoever reads, the package's owner
        -- included, and as the owner in audit.erase): a literal of a trusted type is read by the
        -- type's input function (a literal takes no cast), a domain's as its base type (no domain
        -- check runs), and a value of an untrusted type (an enum, a user's range or
        -- composite) stays its text, which is how capture logged it (by its output function).
        select format('select %s from (select %s) as r',
            audit._record_id_expr(p_cfg.relid, p_cfg.key_columns, '(r)'),
            pg_catalog.string_agg(format('%L::%s as %I', v_json ->> k.col,
                case when c.trusted then c.cast_type else 'pg_catalog.text' end, k.col), ', ')
        ) into v_sql
        from pg_catalog.unnest(p_cfg.key_columns) as k (col)
        inner join audit._columns(p_cfg.relid) as c on c.name = k.col;
    end if;
    begin
        if v_fast then
            v_result := v_json ->> p_cfg.key_columns[1];
            return case v_type
                when 'int2'::regtype then v_result::int2::text
                when 'int4'::regtype then v_result::int4::text
                when 'int8'::regtype then v_result::int8::text
                when 'uuid'::regtype then v_result::uuid::text
                else v_result
            end;
        end if;
        execute v_sql into v_result;
    exception when data_exception then
        raise exception using
            errcode = '22P02',
            message = format('%s: key %s is not a valid key of table %s (%s): %s',
                p_caller, audit._shown(p_id), p_cfg.relid::regclass, (
                    select pg_catalog.string_agg(
                        format('%I %s', k, pg_catalog.format_type(a.atttypid, a.atttypmod)), ', ')
                    from pg_catalog.unnest(p_cfg.key_columns) as k
                    inner join pg_catalog.pg_attribute as a on a.attrelid = p_cfg.relid and a.attname = k
                ), audit._shown(sqlerrm));
    end;
    return v_result;
end
$$;
