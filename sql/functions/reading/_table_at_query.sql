-- The query of audit.table_at, run with EXECUTE so that it is planned for each call: $1 the log
-- table, $2 the log schema, $3 the moment, $4 the audit.config row, and where p_some_keys, $5 the
-- keys (record_id) to read, else every key of the table.
-- Per key, its latest row (read in index order, no sort), unless that row ended the record or a
-- later UPDATE of another transaction moved the record away from the key. Where the transaction
-- of the latest row may have held two records on the key (a deferred unique key: a deletion right
-- after another row of its transaction, or a later key change in the same transaction),
-- audit._state_at works the key out.
create or replace function audit._table_at_query(p_some_keys boolean)
returns text
language sql immutable
set search_path = pg_catalog, pg_temp
as $$
    select case when p_some_keys then
        -- Per key its latest row up to the moment, read newest first, one key at a time.
        $q$with a as (
        select l.record_id, l.id, l.action, l.new_values, l.created_at, l.transaction_id
        from pg_catalog.unnest($5::text []) as k (rid)
        cross join lateral (
            select x.record_id, x.id, x.action, x.new_values, x.created_at, x.transaction_id
            from audit.logs as x
            where x.table_name = $1 and x.record_id = k.rid and x.schema_name = $2 and x.created_at <= $3
            order by x.id desc
            limit 1
        ) as l
    ),
$q$ else
        -- Every key's rows in index order: the first of each key is its latest (no sort).
        $q$with a as (
        select distinct on (l.record_id) l.record_id, l.id, l.action, l.new_values, l.created_at, l.transaction_id
        from audit.logs as l
        where l.table_name = $1 and l.schema_name = $2 and l.created_at <= $3
        order by l.record_id desc, l.id desc
    ),
$q$ end || $q$

    v as (
        select a.record_id, a.new_values,
            case when a.action in ('DELETE', 'TRUNCATE') then
                case when (
                    select p.transaction_id from audit.logs as p
                    where p.table_name = $1 and p.record_id = a.record_id
                        and p.schema_name = $2 and p.id < a.id
                    order by p.id desc
                    limit 1
                ) = a.transaction_id then 'replay' else 'gone' end
            else
                -- NULL: no later departure; true: one of another transaction; false: only the same.
                -- Reading every key, the keys the table's departures left (one hashed set) gate the
                -- search per key: most tables have few departures, if any.
                $q$ || case when p_some_keys then '' else $q$case when a.record_id operator(pg_catalog.=) any (
                    select d.old_record_id from audit.logs as d
                    where d.table_name = $1 and d.old_record_id is not null and d.schema_name = $2
                        and d.created_at <= $3
                ) then $q$ end || $q$case (
                    select pg_catalog.bool_or(d.transaction_id <> a.transaction_id) from audit.logs as d
                    where d.table_name = $1 and d.old_record_id = a.record_id
                        and d.record_id <> a.record_id and d.schema_name = $2
                        and d.created_at <= $3 and d.created_at > a.created_at
                ) when true then 'gone' when false then 'replay' else 'here' end$q$
                || case when p_some_keys then '' else $q$ else 'here' end$q$ end || $q$
            end as verdict
        from a
    )

    select v.record_id, v.new_values from v where v.verdict = 'here'
    union all
    select s.record_id, s.new_values
    from v cross join lateral audit._state_at($4, v.record_id, $3) as s
    where v.verdict = 'replay'
    $q$
$$;
