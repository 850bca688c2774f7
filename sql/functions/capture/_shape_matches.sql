-- Whether the code of capture function audit.<p_fn> still fits its relation: the relation has the
-- shape p_shape the code was generated for, and it still captures for the audited table whose log
-- rows carry the names p_log_schema.p_log_table (it is that table, or still one of its partitions
-- or inheritance children: a partition detached or a child taken out with NO INHERIT does not).
-- When it does not, capture takes its slow path, which finds the relation's table anew (or
-- refuses the write of a relation that is no longer part of an audited table).
-- Declared immutable on purpose: capture calls it with constant arguments in a query that also
-- reads the relation's transition table, so the planner folds it into the cached plan once, and
-- PostgreSQL plans that query again whenever the relation's definition changes (ALTER TABLE,
-- ATTACH and DETACH PARTITION, INHERIT and NO INHERIT of the relation itself all do). A change
-- further up (a parent taken out of the audited table's inheritance) does not, and a relation
-- may move further down after its code was made: the code of every partition and inheritance
-- child also calls audit._captures_for as it runs.
create or replace function audit._shape_matches(p_fn text, p_shape text[], p_log_schema text, p_log_table text)
returns boolean
language sql immutable
set search_path = pg_catalog, pg_temp
as $$
    select coalesce((
        select audit._shape(r.relid) = p_shape and audit._captures_for(r.relid, p_log_schema, p_log_table)
        from (select audit._relation_of(p_fn)) as r (relid)
        where r.relid is not null
    ), false)
$$;
