-- Privileges: nothing for PUBLIC but what is meant. Writers of audited tables need no right on
-- the log (capture runs as the log's owner); readers need a grant on audit.logs.
revoke all on all tables in schema audit from public;
revoke all on all functions in schema audit from public;
grant usage on schema audit to public;
grant execute on function audit.version() to public;
grant execute on function audit.set_actor(text, text, text) to public;
grant execute on function audit.set_migration(text) to public;
grant execute on function audit.state_at(regclass, anycompatible, timestamptz) to public;
grant execute on function audit.history(regclass, anycompatible) to public;
grant execute on function audit.table_at(regclass, timestamptz) to public;
grant execute on function audit.table_at(regclass, timestamptz, jsonb) to public;
grant execute on function audit.row_at(anyelement, anycompatible, timestamptz) to public;
grant execute on function audit.rows_at(anyelement, timestamptz) to public;
grant execute on function audit.rows_at(anyelement, timestamptz, jsonb) to public;
grant execute on function audit._lookup_columns(audit.config) to public;
grant execute on function audit._table_at_query(boolean) to public;
grant execute on function audit._lookup_index_name(text, text, text) to public;
grant execute on function audit.diff(jsonb, jsonb) to public;
grant execute on function audit._config_of(regclass, text) to public;
grant execute on function audit._record_key(audit.config, text, boolean, text) to public;
grant execute on function audit._record_id_expr(oid, text[], text) to public;
grant execute on function audit._key_values_record_id_expr(text[], text[], oid[]) to public;
grant execute on function audit._type_is_trusted(oid) to public;
grant execute on function audit._json_expr(text, oid) to public;
grant execute on function audit._text_expr(text) to public;
grant execute on function audit._key_text_expr(text, oid) to public;
grant execute on function audit._key_json_expr(text, oid) to public;
grant execute on function audit._columns(oid) to public;
grant execute on function audit._state_at(audit.config, text, timestamptz, bigint) to public;
grant execute on function audit._key_live(audit.config, text, timestamptz, bigint) to public;
grant execute on function audit._shown(text) to public;
grant execute on function audit._table_of_rowtype(regtype, text) to public;
grant execute on function audit._check_typed_read(regtype, text) to public;
grant execute on function audit._trusts(oid) to public;
grant execute on function audit._parse_context(text) to public;
grant execute on function audit._check_actor_type(text, text) to public;
grant select on audit.actor_types to public;
grant execute on function audit._state_as_row(anyelement, jsonb) to public;
grant execute on function audit._value_fits_column(anyelement, text, jsonb) to public;
grant execute on function audit._is_same_record(jsonb, jsonb, text[]) to public;
grant execute on function audit._check_horizon(timestamptz, text) to public;
grant execute on function audit._check_lifecycle_role(text) to public;
-- audit.purge, audit.erase and audit.maintain: the package owner's alone (they also check it).
-- The partition guards (see audit._partition_guard): any table owner who creates a partition must
-- be able to run the guard PostgreSQL copies onto it.
do $$
declare
    v_fn regprocedure;
begin
    for v_fn in
        select p.oid::regprocedure from pg_catalog.pg_proc as p
        where p.pronamespace = 'audit'::regnamespace and p.proname ~ '^guard_n[0-9]+$'
    loop
        execute pg_catalog.format('grant execute on function %s to public', v_fn);
    end loop;
end
$$;
