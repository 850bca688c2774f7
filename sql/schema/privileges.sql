-- Privileges: nothing for PUBLIC but what is meant. Writers of audited tables need no right on
-- the log (capture runs as the log's owner); readers need a grant on audit.logs.
revoke all on all tables in schema audit from public;
revoke all on all functions in schema audit from public;
grant usage on schema audit to public;
grant execute on function audit.version() to public;
grant execute on function audit.set_actor(text, text, text) to public;
grant execute on function audit.set_migration(text) to public;
