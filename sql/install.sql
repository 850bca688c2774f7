-- pg-audit-trail: the one entry point.
--   psql -v ON_ERROR_STOP=1 -f sql/install.sql "$DATABASE_URL"
-- Runs in one transaction; running it again (or over an older version) keeps every log row and
-- regenerates the capture code of every audited table.
\set ON_ERROR_STOP 1
\set QUIET on
set client_min_messages = warning;
begin;
-- psql -v lock_timeout=30s: how long the install may wait for a lock (default: the session's
-- lock_timeout, or 5 s where that is 0). A psql-only block: CREATE EXTENSION uses the session's.
\if :{?lock_timeout}
set local lock_timeout = :'lock_timeout';
\endif

\ir schema/locks.sql
\ir functions/_lock_or_explain.sql
\ir functions/_lock_log.sql
\ir schema/logs.sql
\ir schema/config.sql
\ir schema/lifecycle.sql
\ir schema/drop_internal.sql

\ir functions/_type_is_trusted.sql
\ir functions/_check_typed_read.sql
\ir functions/_text_expr.sql
\ir functions/_json_expr.sql
\ir functions/_pinned_settings.sql
\ir functions/_columns.sql
\ir functions/_relation_of.sql
\ir functions/_shape_matches.sql
\ir functions/_capture_name.sql
\ir functions/_fail.sql
\ir functions/_key_expr.sql
\ir functions/_parse_context.sql
\ir functions/_context_exprs.sql
\ir functions/_check_actor_type.sql
\ir functions/_row_laterals.sql
\ir functions/_check_config_columns.sql
\ir functions/_check_virtual_columns.sql
\ir functions/_never_runs.sql
\ir functions/_capture_sql.sql
\ir functions/_capture_function.sql
\ir functions/_drop_capture.sql
\ir functions/_relations.sql
\ir functions/_config_for.sql
\ir functions/_check_truncate.sql
\ir functions/_guard_refuses.sql
\ir functions/_partition_guard.sql
\ir functions/_generated_is_current.sql
\ir functions/_lock_stale_capture.sql
\ir functions/_check_columns.sql
\ir functions/_lookup_columns.sql
\ir functions/_lookup_index_name.sql
\ir functions/_sync_lookup_indexes.sql
\ir functions/enable.sql
\ir functions/disable.sql
\ir functions/set_actor.sql
\ir functions/set_migration.sql
\ir functions/version.sql
\ir functions/_config_of.sql
\ir functions/_shown.sql
\ir functions/_record_key.sql
\ir functions/_table_of_rowtype.sql
\ir functions/_same_record.sql
\ir functions/_key_live.sql
\ir functions/_state_at.sql
\ir functions/state_at.sql
\ir functions/_table_at_query.sql
\ir functions/table_at.sql
\ir functions/history.sql
\ir functions/_populate.sql
\ir functions/row_at.sql
\ir functions/rows_at.sql
\ir functions/diff.sql
\ir functions/generated_code.sql

-- Lifecycle: retention and erasure.
\ir functions/_check_horizon.sql
\ir functions/_check_lifecycle_role.sql
\ir functions/_erased.sql
\ir functions/purge.sql
\ir functions/erase.sql
\ir functions/maintain.sql

\ir views/tables.sql
\ir triggers/logs_append_only.sql

\ir schema/privileges.sql
\ir schema/finish.sql

commit;
