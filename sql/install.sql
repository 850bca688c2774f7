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

-- The schema: the log, the configuration, the lifecycle's records. The two lock helpers come
-- first, because creating the log's triggers and indexes uses them. drop_internal removes the
-- internal functions of the version installed before, which are all made again below.
\ir schema/locks.sql
\ir functions/admin/_lock_or_explain.sql
\ir functions/admin/_lock_log.sql
\ir schema/logs.sql
\ir schema/config.sql
\ir schema/lifecycle.sql
\ir schema/drop_internal.sql

-- Context: who and why, as the application sets it (audit.set_actor, audit.set_migration) and as
-- capture reads it.
\ir functions/context/_parse_context.sql
\ir functions/context/_actor_type_expr.sql
\ir functions/context/_context_columns.sql
\ir functions/context/_current_context.sql
\ir functions/context/_check_actor_type.sql
\ir functions/context/set_actor.sql
\ir functions/context/set_migration.sql

-- Capture: the generator of each audited relation's capture function (_capture_function, with its
-- statements: _whole_rows_sql for INSERT, DELETE, TRUNCATE and SNAPSHOT, the three UPDATE pairings
-- over _update_pieces, _absent_sql, all headed by _log_insert_sql), the pieces they are built from, the checks its code makes as it runs,
-- the partition guards, and audit.generated_code, which shows the result.
\ir functions/capture/_type_is_trusted.sql
\ir functions/capture/_text_expr.sql
\ir functions/capture/_json_expr.sql
\ir functions/capture/_pinned_settings.sql
\ir functions/capture/_columns.sql
\ir functions/capture/_relation_of.sql
\ir functions/capture/_shape.sql
\ir functions/capture/_captured_config.sql
\ir functions/capture/_captures_for.sql
\ir functions/capture/_shape_matches.sql
\ir functions/capture/_capture_name.sql
\ir functions/capture/_fail.sql
\ir functions/capture/_key_json_expr.sql
\ir functions/capture/_key_text_expr.sql
\ir functions/capture/_key_values_record_id_expr.sql
\ir functions/capture/_record_id_expr.sql
\ir functions/capture/_carried_record_id_expr.sql
\ir functions/capture/_compares_as_text.sql
\ir functions/capture/_pairing_value_expr.sql
\ir functions/capture/_distinct_expr.sql
\ir functions/capture/_lateral_joins_sql.sql
\ir functions/capture/_check_virtual_columns.sql
\ir functions/capture/_never_runs.sql
\ir functions/capture/_layout.sql
\ir functions/capture/_quoted_sql.sql
\ir functions/capture/_log_insert_sql.sql
\ir functions/capture/_whole_rows_sql.sql
\ir functions/capture/_update_pieces.sql
\ir functions/capture/_update_statement_sql.sql
\ir functions/capture/_update_one_row_sql.sql
\ir functions/capture/_update_arrays_sql.sql
\ir functions/capture/_update_join_sql.sql
\ir functions/capture/_absent_sql.sql
\ir functions/capture/_statement_for.sql
\ir functions/capture/_capture_function.sql
\ir functions/capture/_drop_capture.sql
\ir functions/capture/_relations.sql
\ir functions/capture/_config_for.sql
\ir functions/capture/_check_truncate.sql
\ir functions/capture/_guard_refuses.sql
\ir functions/capture/_partition_guard.sql
\ir functions/capture/_generated_is_current.sql
\ir functions/capture/_lock_stale_capture.sql
\ir functions/capture/generated_code.sql

-- Administration: audit.enable and audit.disable, their checks, and the lookup indexes.
\ir functions/admin/_check_config_columns.sql
\ir functions/admin/_check_columns.sql
\ir functions/admin/_lookup_columns.sql
\ir functions/admin/_lookup_index_name.sql
\ir functions/admin/_sync_lookup_indexes.sql
\ir functions/admin/enable.sql
\ir functions/admin/disable.sql
\ir functions/admin/version.sql

-- Reading: state_at, history, table_at (with a filter), the typed reads row_at and rows_at, diff.
\ir functions/reading/_check_typed_read.sql
\ir functions/reading/_trusts.sql
\ir functions/reading/_config_of.sql
\ir functions/reading/_shown.sql
\ir functions/reading/_record_key.sql
\ir functions/reading/_table_of_rowtype.sql
\ir functions/reading/_is_same_record.sql
\ir functions/reading/_key_live.sql
\ir functions/reading/_state_at.sql
\ir functions/reading/state_at.sql
\ir functions/reading/_table_at_query.sql
\ir functions/reading/table_at.sql
\ir functions/reading/history.sql
\ir functions/reading/_state_as_row.sql
\ir functions/reading/_value_fits_column.sql
\ir functions/reading/row_at.sql
\ir functions/reading/rows_at.sql
\ir functions/reading/diff.sql

-- Lifecycle: retention (purge, maintain) and erasure.
\ir functions/lifecycle/_check_horizon.sql
\ir functions/lifecycle/_check_lifecycle_role.sql
\ir functions/lifecycle/_erased.sql
\ir functions/lifecycle/_erased_strings.sql
\ir functions/lifecycle/purge.sql
\ir functions/lifecycle/erase.sql
\ir functions/lifecycle/maintain.sql

-- The view of audited tables, the log's append-only trigger, the rights, and the last step:
-- record the version and regenerate every audited table's capture code.
\ir views/tables.sql
\ir triggers/logs_append_only.sql

\ir schema/privileges.sql
\ir schema/finish.sql

commit;
