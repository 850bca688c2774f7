-- The ten context expressions of a log row, for log rows written outside a trigger (SNAPSHOT).
create or replace function audit._context_exprs()
returns text[]
language sql immutable
set search_path = pg_catalog, pg_temp
as $$
    select array[
        'pg_catalog.clock_timestamp()',
        'pg_catalog.pg_current_xact_id()',
        $e$nullif(pg_catalog.current_setting('app.actor_email', true), '')$e$,
        audit._actor_type_expr(
            $e$nullif(pg_catalog.current_setting('app.actor_type', true), '')$e$,
            $e$nullif(pg_catalog.current_setting('app.actor_email', true), '')$e$,
            $e$nullif(pg_catalog.current_setting('app.actor_id', true), '')$e$,
            $e$nullif(pg_catalog.current_setting('app.current_migration', true), '')$e$
        ),
        $e$nullif(pg_catalog.current_setting('app.actor_id', true), '')$e$,
        $e$nullif(pg_catalog.current_setting('app.current_migration', true), '')$e$,
        $e$audit._parse_context(nullif(pg_catalog.current_setting('app.audit_context', true), ''))$e$,
        'session_user',
        $e$nullif(pg_catalog.current_setting('application_name'), '')$e$,
        'pg_catalog.inet_client_addr()'
    ]
$$;
