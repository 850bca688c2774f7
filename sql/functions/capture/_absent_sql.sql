-- The statement that logs as deleted the records the log holds as present in audited relation
-- p_relid that the relation no longer has: they went while auditing was off (audit.enable after
-- audit.disable). Each is logged with its last logged state as old values.
create or replace function audit._absent_sql(p_relid oid, p_cfg audit.config, p_ctx text)
returns text
language sql stable
set search_path = pg_catalog, pg_temp
as $$
    select audit._log_insert_sql(p_relid, p_cfg, p_ctx, 0) || format(
        E'\n    t.record_id, null, ''DELETE'', t.state, null,\n'
        '    array(select k from pg_catalog.jsonb_each(t.state) as e (k, v) '
        'where v operator(pg_catalog.<>) ''null'' order by k collate "C")\n'
        'from audit.table_at(%L, pg_catalog.clock_timestamp()) as t\n'
        'where t.record_id not in (select %s from %s as x)',
        p_relid::regclass::text, audit._record_id_expr(p_relid, p_cfg.key_columns, 'x'), p_relid::regclass
    )
$$;
