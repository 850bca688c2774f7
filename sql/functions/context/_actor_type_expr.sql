-- The actor type of a log row, as an SQL expression over four others: the type the application
-- set, else 'migration' while a migration runs, else 'user' when an actor is named, else NULL.
-- The one statement of this rule, for capture (over PL/pgSQL variables) and for SNAPSHOT rows.
create or replace function audit._actor_type_expr(p_type text, p_email text, p_id text, p_migration text)
returns text
language sql immutable
set search_path = pg_catalog, pg_temp
as $$
    select format(
        'coalesce(%s, case when %s is not null then ''migration'' '
        'when %s is not null or %s is not null then ''user'' end)',
        p_type, p_migration, p_email, p_id
    )
$$;
