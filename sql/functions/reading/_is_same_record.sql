-- Whether a logged state p_state can be the same record as p_prev, the previous row that a later
-- log row recorded (new_values || old_values): every column both have, but for the table's
-- ignored columns (whose changes are not logged), holds the same value. Used only where one
-- transaction left two records on one key for a while (a deferred unique key).
create or replace function audit._is_same_record(p_state jsonb, p_prev jsonb, p_ignore text[])
returns boolean
language sql immutable
set search_path = pg_catalog, pg_temp
as $$
    select not exists (
        select from pg_catalog.jsonb_each(p_state) as e
        where e.key <> all(p_ignore) and p_prev ? e.key
            and (p_prev -> e.key)::text is distinct from e.value::text
    )
$$;
