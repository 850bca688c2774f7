-- SQL expression giving the canonical JSON value of one key column, session-independent:
-- numerics lose trailing zeros, timestamptz is written in UTC, dates and timestamps in ISO 8601;
-- a value of an untrusted type (an enum, a user's range) is converted by audit._json_expr.
create or replace function audit._key_json_expr(p_expr text, p_typid oid)
returns text
language sql stable
set search_path = pg_catalog, pg_temp
as $$
    select case
        when not audit._type_is_trusted(p_typid) then audit._json_expr(p_expr, p_typid)
        else case p_typid
        when 'numeric'::regtype then format('pg_catalog.to_jsonb(pg_catalog.trim_scale(%s))', p_expr)
        when 'timestamptz'::regtype then
            format('pg_catalog.to_jsonb((pg_catalog.to_jsonb((%s) at time zone ''UTC'') #>> ''{}'') || ''+00:00'')',
                p_expr)
        else format('pg_catalog.to_jsonb(%s)', p_expr)
        end
    end
$$;
