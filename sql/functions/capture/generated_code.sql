-- The complete capture code of audited table tbl, as one readable PL/pgSQL text: for the table and
-- each relation that carries its capture (partitions, inheritance children), its triggers, its
-- capture function as installed, and the statements that function builds at run time (TRUNCATE,
-- and any write after the table's columns changed since audit.enable). The text is what runs, not a
-- description of it: review a change to the generator as the diff of this text (tests/golden/).
-- Only the package's owner may call it: it builds the run-time statements with the package's
-- internal functions. Generated names are numbered from a sequence (capture_n12): compare the
-- text of two databases with the numbers masked.
create or replace function audit.generated_code(tbl regclass)
returns text
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
    v_cfg audit.config := audit._config_of(tbl, 'audit.generated_code');
    v_out text := '';
    v_relid oid;
    v_rcfg audit.config;
    v_line text;
    v_fn record;
    v_event text;
begin
    if not v_cfg.enabled then
        raise exception using
            errcode = '55000',
            message = format('audit.generated_code: table %s is not audited now (audit.disable ran)', tbl),
            hint = 'audit.enable it to generate its capture again.';
    end if;
    for v_relid in
        select r from audit._relations(tbl) as r order by (r = tbl::oid) desc, r::regclass::text
    loop
        v_rcfg := audit._config_for(v_relid);
        v_out := v_out || format(E'-- ===== capture of %s =====\n\n', v_relid::regclass);
        -- Its own triggers; a trigger PostgreSQL cloned from a partitioned table's is named as such
        -- (PostgreSQL 14 marks clones internal, 15 and later do not).
        for v_line in
            select case when t.tgparentid = 0 then pg_catalog.pg_get_triggerdef(t.oid) || ';'
                else format('-- %s: cloned from the trigger of %s', t.tgname,
                    (select p.tgrelid::regclass from pg_catalog.pg_trigger as p where p.oid = t.tgparentid))
                end
            from pg_catalog.pg_trigger as t
            where t.tgrelid = v_relid and t.tgname like 'audit\_trail\_%'
                and (not t.tgisinternal or t.tgparentid <> 0)
            order by t.tgname
        loop
            v_out := v_out || v_line || E'\n';
        end loop;
        for v_fn in
            select distinct p.proname::text as name, p.prosrc, p.prosecdef, coalesce(p.proconfig, '{}') as config
            from pg_catalog.pg_trigger as t
            inner join pg_catalog.pg_proc as p on p.oid = t.tgfoid
            where t.tgrelid = v_relid and t.tgname like 'audit\_trail\_%' and t.tgparentid = 0
                and p.pronamespace = 'audit'::regnamespace and p.proname <> '_never_runs'
            order by 1
        loop
            v_out := v_out || format(
                E'\ncreate or replace function audit.%I() returns trigger language plpgsql%s\n%s\nas $body$%s$body$;\n',
                v_fn.name, case when v_fn.prosecdef then ' security definer' else '' end,
                (
                    select pg_catalog.string_agg(
                        format('set %s = %s', pg_catalog.split_part(c, '=', 1),
                            pg_catalog.quote_literal(pg_catalog.substr(c, pg_catalog.strpos(c, '=') + 1))),
                        E'\n' order by c)
                    from pg_catalog.unnest(v_fn.config) as c
                ),
                v_fn.prosrc
            );
        end loop;
        -- Statements the capture function builds when it runs (audit._statement_for), with its
        -- context as $1.
        foreach v_event in array array['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE'] loop
            -- TRUNCATE is captured by each leaf relation (a partitioned table holds no rows).
            continue when v_event = 'TRUNCATE'
                and (select c.relkind = 'p' from pg_catalog.pg_class as c where c.oid = v_relid);
            v_out := v_out || format(
                E'\n-- built at run time, %s%s:\n%s;\n',
                v_event,
                case when v_event = 'TRUNCATE' then '' else ' after the columns changed' end,
                audit._statement_for(v_relid, v_event, v_rcfg)
            );
        end loop;
        v_out := v_out || E'\n';
    end loop;
    return v_out;
end
$$;
