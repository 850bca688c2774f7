-- The head of every statement capture writes: INSERT INTO audit.logs with the log's columns, and
-- the start of its SELECT list, the context and the log schema and table the rows carry. The
-- context's fields are read from p_ctx, a value of type audit.logs (audit._context_columns): the
-- capture function's variable capture.v_log, or a parameter ($1) of a statement run by EXECUTE. The
-- caller appends the rest of the list: record_id, old_record_id, action, old_values, new_values,
-- changed_fields. Its lines are indented by p_indent spaces (audit._layout).
-- Every statement starts here, so the two checks that make capture refuse a relation are here:
-- redacted and key columns must still be the columns audit.enable saw (rather than store a
-- renamed secret in clear, or log records under another column's values, capture fails until
-- audit.enable runs again), and no virtual column may evaluate code another role can define.
create or replace function audit._log_insert_sql(p_relid oid, p_cfg audit.config, p_ctx text, p_indent integer)
returns text
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
begin
    perform audit._check_config_columns(p_cfg);
    perform audit._check_virtual_columns(p_relid);
    return format(audit._layout(
        E'insert into audit.logs (\n'
        '    %s,\n'
        '    schema_name, table_name, record_id, old_record_id, action, old_values, new_values, changed_fields\n'
        ')\nselect\n    %s,\n    %L, %L,', p_indent),
        pg_catalog.array_to_string(audit._context_columns(), ', '),
        (
            -- SQL's own rule: a field of a parameter ($1) is selected with parentheses,
            -- (($1).created_at); a PL/pgSQL variable's is named without (capture.v_log.created_at),
            -- which makes it a parameter of its own rather than pass the whole record.
            select pg_catalog.string_agg(
                format(case when p_ctx ~ '^\$[0-9]+$' then '(%s).%I' else '%s.%I' end, p_ctx, c.name),
                ', ' order by c.ord)
            from pg_catalog.unnest(audit._context_columns()) with ordinality as c (name, ord)
        ),
        p_cfg.log_schema, p_cfg.log_table
    );
end
$$;
