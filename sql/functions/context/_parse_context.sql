-- app.audit_context as jsonb; raises SQLSTATE 22023 naming the setting unless it is a JSON object of
-- at most 8 kB.
create or replace function audit._parse_context(p_text text)
returns jsonb
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
    v jsonb;
begin
    -- Every log row of a statement carries the context: a large one would be stored once per row.
    if pg_catalog.octet_length(p_text) > 8192 then
        raise exception using
            errcode = '22023',
            message = format('audit: app.audit_context is %s bytes; at most 8192 are logged with each change',
                pg_catalog.octet_length(p_text)),
            hint = 'Keep the context to identifiers (a request id, a ticket); store large documents elsewhere '
                'and put their id in the context.';
    end if;
    begin
        v := p_text::jsonb;
    exception when others then
        raise exception using
            errcode = '22023',
            message = format('audit: app.audit_context is not valid JSON: %s', p_text),
            hint = 'Set app.audit_context to a JSON object, e.g. {"request_id": "..."}.';
    end;
    if pg_catalog.jsonb_typeof(v) <> 'object' then
        raise exception using
            errcode = '22023',
            message = format('audit: app.audit_context must be a JSON object, not %s: %s',
                pg_catalog.jsonb_typeof(v), p_text),
            hint = 'Set app.audit_context to a JSON object, e.g. {"request_id": "..."}.';
    end if;
    return v;
end
$$;
