-- ===== capture of public.feelings =====

CREATE TRIGGER audit_trail_delete AFTER DELETE ON public.feelings REFERENCING OLD TABLE AS audit_old FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_nN();
CREATE TRIGGER audit_trail_insert AFTER INSERT ON public.feelings REFERENCING NEW TABLE AS audit_new FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_nN();
CREATE TRIGGER audit_trail_no_parent AFTER INSERT ON public.feelings REFERENCING NEW TABLE AS audit_no_parent FOR EACH ROW WHEN (false) EXECUTE FUNCTION audit._never_runs();
CREATE TRIGGER audit_trail_truncate BEFORE TRUNCATE ON public.feelings FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_nN();
CREATE TRIGGER audit_trail_update AFTER UPDATE ON public.feelings REFERENCING OLD TABLE AS audit_old NEW TABLE AS audit_new FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_nN();

create or replace function audit.capture_nN() returns trigger language plpgsql security definer
set DateStyle = 'ISO, YMD'
set IntervalStyle = 'postgres'
set TimeZone = 'UTC'
set array_nulls = 'on'
set bytea_output = 'hex'
set extra_float_digits = '1'
set lc_monetary = 'C'
set row_security = 'off'
set search_path = 'pg_catalog, pg_temp'
as $body$
#variable_conflict use_column
<<capture>>
declare
    -- The context every log row of this statement shares (audit._context_columns).
    v_log audit.logs;
    v_type text := nullif(pg_catalog.current_setting('app.actor_type', true), '');
    v_context text := nullif(pg_catalog.current_setting('app.audit_context', true), '');
    v_cfg audit.config;
    v_fits boolean;
    v_many_new boolean;
    v_many_old boolean;
    v_rows bigint;
    v_old_rows bigint;
    v_work_mem text;
begin
    v_log.created_at := pg_catalog.clock_timestamp();
    v_log.transaction_id := pg_catalog.pg_current_xact_id();
    v_log.actor_email := nullif(pg_catalog.current_setting('app.actor_email', true), '');
    v_log.actor_id := nullif(pg_catalog.current_setting('app.actor_id', true), '');
    v_log.migration_name := nullif(pg_catalog.current_setting('app.current_migration', true), '');
    if v_type is not null then
        if not exists (select from audit.actor_types as t where t.name operator(pg_catalog.=) capture.v_type) then
            perform audit._check_actor_type(v_type);
        end if;
    end if;
    v_log.actor_type := coalesce(v_type, case when v_log.migration_name is not null then 'migration' when v_log.actor_email is not null or v_log.actor_id is not null then 'user' end);
    if v_context is not null then
        v_log.context := audit._parse_context(v_context);
    end if;
    v_log.db_user := session_user;
    v_log.application_name := nullif(pg_catalog.current_setting('application_name'), '');
    v_log.client_addr := pg_catalog.inet_client_addr();
    if tg_op = 'UPDATE' then
        select s.fits, exists (select from audit_new offset 1), exists (select from audit_old offset 1)
        into v_fits, v_many_new, v_many_old
        from (select audit._shape_matches('capture_nN', '{id:integer,mood:public.mood,pair:public.pair,moods:public.mood[]}'::text[], 'public', 'feelings') as fits) as s;
        if v_fits then
            if not v_many_new and not v_many_old then
                insert into audit.logs (
                    created_at, transaction_id, actor_email, actor_type, actor_id, migration_name, context, db_user, application_name, client_addr,
                    schema_name, table_name, record_id, old_record_id, action, old_values, new_values, changed_fields
                )
                select
                    capture.v_log.created_at, capture.v_log.transaction_id, capture.v_log.actor_email, capture.v_log.actor_type, capture.v_log.actor_id, capture.v_log.migration_name, capture.v_log.context, capture.v_log.db_user, capture.v_log.application_name, capture.v_log.client_addr,
                    'public', 'feelings',
                    (n1::integer)::text,
                    case when (o1::integer)::text <> (n1::integer)::text then (o1::integer)::text end,
                    'UPDATE', oj operator(pg_catalog.-) pg_catalog.array_remove(array[case when not d1 then 'id' end, case when not d2 then 'mood' end, case when not d3 then 'pair' end, case when not d4 then 'moods' end]::text[], null), d.nj,
                    pg_catalog.array_remove(array[case when d1 then 'id' end, case when d2 then 'mood' end, case when d4 then 'moods' end, case when d3 then 'pair' end]::text[], null)
                from (
                    select oj, nj, o1, n1, o1 is distinct from n1 as d1, o2, n2, (o2)::text collate "C" is distinct from (n2)::text collate "C" as d2, o3, n3, (o3)::text collate "C" is distinct from (n3)::text collate "C" as d3, o4, n4, (o4)::text collate "C" is distinct from (n4)::text collate "C" as d4
                    from (select pg_catalog.to_jsonb(j.*) as oj, x.id as o1, pg_catalog.to_jsonb(case when pg_catalog.num_nulls(x.mood) operator(pg_catalog.=) 0 then pg_catalog.format('%s', x.mood) end) as o2, pg_catalog.to_jsonb(case when pg_catalog.num_nulls(x.pair) operator(pg_catalog.=) 0 then pg_catalog.format('%s', x.pair) end) as o3, pg_catalog.to_jsonb((case when pg_catalog.num_nulls(x.moods) operator(pg_catalog.=) 0 then pg_catalog.format('%s', x.moods) end)::pg_catalog.text[]) as o4 from audit_old as x cross join lateral (select x.id as id, pg_catalog.to_jsonb(case when pg_catalog.num_nulls(x.mood) operator(pg_catalog.=) 0 then pg_catalog.format('%s', x.mood) end) as mood, pg_catalog.to_jsonb(case when pg_catalog.num_nulls(x.pair) operator(pg_catalog.=) 0 then pg_catalog.format('%s', x.pair) end) as pair, pg_catalog.to_jsonb((case when pg_catalog.num_nulls(x.moods) operator(pg_catalog.=) 0 then pg_catalog.format('%s', x.moods) end)::pg_catalog.text[]) as moods) as j) as o,
                        (select pg_catalog.to_jsonb(j.*) as nj, y.id as n1, pg_catalog.to_jsonb(case when pg_catalog.num_nulls(y.mood) operator(pg_catalog.=) 0 then pg_catalog.format('%s', y.mood) end) as n2, pg_catalog.to_jsonb(case when pg_catalog.num_nulls(y.pair) operator(pg_catalog.=) 0 then pg_catalog.format('%s', y.pair) end) as n3, pg_catalog.to_jsonb((case when pg_catalog.num_nulls(y.moods) operator(pg_catalog.=) 0 then pg_catalog.format('%s', y.moods) end)::pg_catalog.text[]) as n4 from audit_new as y cross join lateral (select y.id as id, pg_catalog.to_jsonb(case when pg_catalog.num_nulls(y.mood) operator(pg_catalog.=) 0 then pg_catalog.format('%s', y.mood) end) as mood, pg_catalog.to_jsonb(case when pg_catalog.num_nulls(y.pair) operator(pg_catalog.=) 0 then pg_catalog.format('%s', y.pair) end) as pair, pg_catalog.to_jsonb((case when pg_catalog.num_nulls(y.moods) operator(pg_catalog.=) 0 then pg_catalog.format('%s', y.moods) end)::pg_catalog.text[]) as moods) as j) as n
                    offset 0
                ) as d
                where d1 or d2 or d3 or d4;
                -- Nothing logged: nothing changed, or no row at all; but never a row without its
                -- pair. (Nested, so that a logged row costs only the test of FOUND.)
                if not found then
                    if exists (select from audit_new) <> exists (select from audit_old) then
                        perform audit._fail('XX000', 'audit: cannot pair the old and new rows of an UPDATE on public.feelings');
                    end if;
                end if;
                return null;
            end if;
            select (select pg_catalog.count(*) from audit_new), (select pg_catalog.count(*) from audit_old)
            into v_rows, v_old_rows;
            if v_rows = v_old_rows and v_rows <= 600 then
                insert into audit.logs (
                    created_at, transaction_id, actor_email, actor_type, actor_id, migration_name, context, db_user, application_name, client_addr,
                    schema_name, table_name, record_id, old_record_id, action, old_values, new_values, changed_fields
                )
                select
                    capture.v_log.created_at, capture.v_log.transaction_id, capture.v_log.actor_email, capture.v_log.actor_type, capture.v_log.actor_id, capture.v_log.migration_name, capture.v_log.context, capture.v_log.db_user, capture.v_log.application_name, capture.v_log.client_addr,
                    'public', 'feelings',
                    (n1::integer)::text,
                    case when (o1::integer)::text <> (n1::integer)::text then (o1::integer)::text end,
                    'UPDATE', ('{' || pg_catalog.array_to_string(array[case when d1 then '"id":' || coalesce(pg_catalog.to_json(o1)::text, 'null') end, case when d2 then '"mood":' || coalesce(pg_catalog.to_json(o2::pg_catalog.jsonb)::text, 'null') end, case when d3 then '"pair":' || coalesce(pg_catalog.to_json(o3::pg_catalog.jsonb)::text, 'null') end, case when d4 then '"moods":' || coalesce(pg_catalog.to_json(o4::pg_catalog.jsonb)::text, 'null') end]::text[], ',') || '}')::jsonb, d.nj,
                    pg_catalog.array_remove(array[case when d1 then 'id' end, case when d2 then 'mood' end, case when d4 then 'moods' end, case when d3 then 'pair' end]::text[], null)
                from (
                    select nj, o1, n1, o1 is distinct from n1 as d1, o2, n2, (o2)::text collate "C" is distinct from (n2)::text collate "C" as d2, o3, n3, (o3)::text collate "C" is distinct from (n3)::text collate "C" as d3, o4, n4, (o4)::text collate "C" is distinct from (n4)::text collate "C" as d4
                    from (
                        select pg_catalog.unnest(b.nj) as nj, pg_catalog.unnest(a.o1) as o1, pg_catalog.unnest(b.n1) as n1, pg_catalog.unnest(a.o2) as o2, pg_catalog.unnest(b.n2) as n2, pg_catalog.unnest(a.o3) as o3, pg_catalog.unnest(b.n3) as n3, pg_catalog.unnest(a.o4) as o4, pg_catalog.unnest(b.n4) as n4
                        from (select pg_catalog.array_agg(x.id) as o1, pg_catalog.array_agg(pg_catalog.to_jsonb(case when pg_catalog.num_nulls(x.mood) operator(pg_catalog.=) 0 then pg_catalog.format('%s', x.mood) end)) as o2, pg_catalog.array_agg(pg_catalog.to_jsonb(case when pg_catalog.num_nulls(x.pair) operator(pg_catalog.=) 0 then pg_catalog.format('%s', x.pair) end)) as o3, pg_catalog.array_agg(pg_catalog.to_jsonb((case when pg_catalog.num_nulls(x.moods) operator(pg_catalog.=) 0 then pg_catalog.format('%s', x.moods) end)::pg_catalog.text[])) as o4 from audit_old as x ) as a,
                            (select pg_catalog.array_agg(pg_catalog.to_jsonb(j.*)) as nj, pg_catalog.array_agg(y.id) as n1, pg_catalog.array_agg(pg_catalog.to_jsonb(case when pg_catalog.num_nulls(y.mood) operator(pg_catalog.=) 0 then pg_catalog.format('%s', y.mood) end)) as n2, pg_catalog.array_agg(pg_catalog.to_jsonb(case when pg_catalog.num_nulls(y.pair) operator(pg_catalog.=) 0 then pg_catalog.format('%s', y.pair) end)) as n3, pg_catalog.array_agg(pg_catalog.to_jsonb((case when pg_catalog.num_nulls(y.moods) operator(pg_catalog.=) 0 then pg_catalog.format('%s', y.moods) end)::pg_catalog.text[])) as n4 from audit_new as y cross join lateral (select y.id as id, pg_catalog.to_jsonb(case when pg_catalog.num_nulls(y.mood) operator(pg_catalog.=) 0 then pg_catalog.format('%s', y.mood) end) as mood, pg_catalog.to_jsonb(case when pg_catalog.num_nulls(y.pair) operator(pg_catalog.=) 0 then pg_catalog.format('%s', y.pair) end) as pair, pg_catalog.to_jsonb((case when pg_catalog.num_nulls(y.moods) operator(pg_catalog.=) 0 then pg_catalog.format('%s', y.moods) end)::pg_catalog.text[]) as moods) as j) as b
                    ) as z
                    offset 0
                ) as d
                where d1 or d2 or d3 or d4;
            else
                -- Many rows: a join planned for this statement (the cached plans assume few rows),
                -- with room to sort in memory. Old and new rows that differ in number also come
                -- here: the join leaves a row without a partner, and the statement fails rather
                -- than pair wrongly.
                v_work_mem := pg_catalog.current_setting('work_mem');
                perform pg_catalog.set_config('work_mem', '256MB', true);
                execute $sql$insert into audit.logs (
                    created_at, transaction_id, actor_email, actor_type, actor_id, migration_name, context, db_user, application_name, client_addr,
                    schema_name, table_name, record_id, old_record_id, action, old_values, new_values, changed_fields
                )
                select
                    ($1).created_at, ($1).transaction_id, ($1).actor_email, ($1).actor_type, ($1).actor_id, ($1).migration_name, ($1).context, ($1).db_user, ($1).application_name, ($1).client_addr,
                    'public', 'feelings',
                    case when d.op is null or d.np is null then audit._fail('XX000', 'audit: cannot pair the old and new rows of an UPDATE on public.feelings') else (n1::integer)::text end,
                    case when (o1::integer)::text <> (n1::integer)::text then (o1::integer)::text end,
                    'UPDATE', ('{' || pg_catalog.array_to_string(array[case when d1 then '"id":' || coalesce(pg_catalog.to_json(o1)::text, 'null') end, case when d2 then '"mood":' || coalesce(pg_catalog.to_json(o2::pg_catalog.jsonb)::text, 'null') end, case when d3 then '"pair":' || coalesce(pg_catalog.to_json(o3::pg_catalog.jsonb)::text, 'null') end, case when d4 then '"moods":' || coalesce(pg_catalog.to_json(o4::pg_catalog.jsonb)::text, 'null') end]::text[], ',') || '}')::jsonb, d.nj,
                    pg_catalog.array_remove(array[case when d1 then 'id' end, case when d2 then 'mood' end, case when d4 then 'moods' end, case when d3 then 'pair' end]::text[], null)
                from (
                    select op, np, nj, o1, n1, o1 is distinct from n1 as d1, o2, n2, (o2)::text collate "C" is distinct from (n2)::text collate "C" as d2, o3, n3, (o3)::text collate "C" is distinct from (n3)::text collate "C" as d3, o4, n4, (o4)::text collate "C" is distinct from (n4)::text collate "C" as d4
                    from (select pg_catalog.row_number() over () as rn, true as op, x.id as o1, pg_catalog.to_jsonb(case when pg_catalog.num_nulls(x.mood) operator(pg_catalog.=) 0 then pg_catalog.format('%s', x.mood) end) as o2, pg_catalog.to_jsonb(case when pg_catalog.num_nulls(x.pair) operator(pg_catalog.=) 0 then pg_catalog.format('%s', x.pair) end) as o3, pg_catalog.to_jsonb((case when pg_catalog.num_nulls(x.moods) operator(pg_catalog.=) 0 then pg_catalog.format('%s', x.moods) end)::pg_catalog.text[]) as o4 from audit_old as x ) as o
                    full join (select pg_catalog.row_number() over () as rn, true as np, pg_catalog.to_jsonb(j.*) as nj, y.id as n1, pg_catalog.to_jsonb(case when pg_catalog.num_nulls(y.mood) operator(pg_catalog.=) 0 then pg_catalog.format('%s', y.mood) end) as n2, pg_catalog.to_jsonb(case when pg_catalog.num_nulls(y.pair) operator(pg_catalog.=) 0 then pg_catalog.format('%s', y.pair) end) as n3, pg_catalog.to_jsonb((case when pg_catalog.num_nulls(y.moods) operator(pg_catalog.=) 0 then pg_catalog.format('%s', y.moods) end)::pg_catalog.text[]) as n4
                        from audit_new as y cross join lateral (select y.id as id, pg_catalog.to_jsonb(case when pg_catalog.num_nulls(y.mood) operator(pg_catalog.=) 0 then pg_catalog.format('%s', y.mood) end) as mood, pg_catalog.to_jsonb(case when pg_catalog.num_nulls(y.pair) operator(pg_catalog.=) 0 then pg_catalog.format('%s', y.pair) end) as pair, pg_catalog.to_jsonb((case when pg_catalog.num_nulls(y.moods) operator(pg_catalog.=) 0 then pg_catalog.format('%s', y.moods) end)::pg_catalog.text[]) as moods) as j) as n on o.rn operator(pg_catalog.=) n.rn
                    offset 0
                ) as d
                where d.op is null or d.np is null or d1 or d2 or d3 or d4$sql$
                using v_log;
                perform pg_catalog.set_config('work_mem', v_work_mem, true);
            end if;
            return null;
        end if;
    elsif tg_op = 'INSERT' then
        select s.fits into v_fits from (select audit._shape_matches('capture_nN', '{id:integer,mood:public.mood,pair:public.pair,moods:public.mood[]}'::text[], 'public', 'feelings') as fits) as s
        left join (select from audit_new limit 0) as r on true;
        if v_fits then
            insert into audit.logs (
                created_at, transaction_id, actor_email, actor_type, actor_id, migration_name, context, db_user, application_name, client_addr,
                schema_name, table_name, record_id, old_record_id, action, old_values, new_values, changed_fields
            )
            select
                capture.v_log.created_at, capture.v_log.transaction_id, capture.v_log.actor_email, capture.v_log.actor_type, capture.v_log.actor_id, capture.v_log.migration_name, capture.v_log.context, capture.v_log.db_user, capture.v_log.application_name, capture.v_log.client_addr,
                'public', 'feelings',
                (x.id)::text, null, 'INSERT',
                null, pg_catalog.to_jsonb(j.*),
                case when x.id is not null and pg_catalog.num_nulls(x.mood) operator(pg_catalog.=) 0 and pg_catalog.num_nulls(x.pair) operator(pg_catalog.=) 0 and pg_catalog.num_nulls(x.moods) operator(pg_catalog.=) 0 then '{id,mood,moods,pair}'::text[] else pg_catalog.array_remove(array[case when x.id is not null then 'id' end, case when pg_catalog.num_nulls(x.mood) operator(pg_catalog.=) 0 then 'mood' end, case when pg_catalog.num_nulls(x.moods) operator(pg_catalog.=) 0 then 'moods' end, case when pg_catalog.num_nulls(x.pair) operator(pg_catalog.=) 0 then 'pair' end]::text[], null) end
            from audit_new as x cross join lateral (select x.id as id, pg_catalog.to_jsonb(case when pg_catalog.num_nulls(x.mood) operator(pg_catalog.=) 0 then pg_catalog.format('%s', x.mood) end) as mood, pg_catalog.to_jsonb(case when pg_catalog.num_nulls(x.pair) operator(pg_catalog.=) 0 then pg_catalog.format('%s', x.pair) end) as pair, pg_catalog.to_jsonb((case when pg_catalog.num_nulls(x.moods) operator(pg_catalog.=) 0 then pg_catalog.format('%s', x.moods) end)::pg_catalog.text[]) as moods) as j;
            return null;
        end if;
    elsif tg_op = 'DELETE' then
        select s.fits into v_fits from (select audit._shape_matches('capture_nN', '{id:integer,mood:public.mood,pair:public.pair,moods:public.mood[]}'::text[], 'public', 'feelings') as fits) as s
        left join (select from audit_old limit 0) as r on true;
        if v_fits then
            insert into audit.logs (
                created_at, transaction_id, actor_email, actor_type, actor_id, migration_name, context, db_user, application_name, client_addr,
                schema_name, table_name, record_id, old_record_id, action, old_values, new_values, changed_fields
            )
            select
                capture.v_log.created_at, capture.v_log.transaction_id, capture.v_log.actor_email, capture.v_log.actor_type, capture.v_log.actor_id, capture.v_log.migration_name, capture.v_log.context, capture.v_log.db_user, capture.v_log.application_name, capture.v_log.client_addr,
                'public', 'feelings',
                (x.id)::text, null, 'DELETE',
                pg_catalog.to_jsonb(j.*), null,
                case when x.id is not null and pg_catalog.num_nulls(x.mood) operator(pg_catalog.=) 0 and pg_catalog.num_nulls(x.pair) operator(pg_catalog.=) 0 and pg_catalog.num_nulls(x.moods) operator(pg_catalog.=) 0 then '{id,mood,moods,pair}'::text[] else pg_catalog.array_remove(array[case when x.id is not null then 'id' end, case when pg_catalog.num_nulls(x.mood) operator(pg_catalog.=) 0 then 'mood' end, case when pg_catalog.num_nulls(x.moods) operator(pg_catalog.=) 0 then 'moods' end, case when pg_catalog.num_nulls(x.pair) operator(pg_catalog.=) 0 then 'pair' end]::text[], null) end
            from audit_old as x cross join lateral (select x.id as id, pg_catalog.to_jsonb(case when pg_catalog.num_nulls(x.mood) operator(pg_catalog.=) 0 then pg_catalog.format('%s', x.mood) end) as mood, pg_catalog.to_jsonb(case when pg_catalog.num_nulls(x.pair) operator(pg_catalog.=) 0 then pg_catalog.format('%s', x.pair) end) as pair, pg_catalog.to_jsonb((case when pg_catalog.num_nulls(x.moods) operator(pg_catalog.=) 0 then pg_catalog.format('%s', x.moods) end)::pg_catalog.text[]) as moods) as j;
            return null;
        end if;
    end if;
    -- The relation's columns changed since audit.enable, or TRUNCATE: the statement for the
    -- relation as it is now, under its current name.
    v_cfg := audit._config_for(tg_relid);
    if tg_op = 'TRUNCATE' then
        perform audit._check_truncate(tg_relid, v_cfg);
    end if;
    execute audit._statement_for(tg_relid, tg_op, v_cfg) using v_log;
    return null;
end
$body$;

-- built at run time, INSERT after the columns changed:
insert into audit.logs (
    created_at, transaction_id, actor_email, actor_type, actor_id, migration_name, context, db_user, application_name, client_addr,
    schema_name, table_name, record_id, old_record_id, action, old_values, new_values, changed_fields
)
select
    ($1).created_at, ($1).transaction_id, ($1).actor_email, ($1).actor_type, ($1).actor_id, ($1).migration_name, ($1).context, ($1).db_user, ($1).application_name, ($1).client_addr,
    'public', 'feelings',
    (x.id)::text, null, 'INSERT',
    null, pg_catalog.to_jsonb(j.*),
    case when x.id is not null and pg_catalog.num_nulls(x.mood) operator(pg_catalog.=) 0 and pg_catalog.num_nulls(x.pair) operator(pg_catalog.=) 0 and pg_catalog.num_nulls(x.moods) operator(pg_catalog.=) 0 then '{id,mood,moods,pair}'::text[] else pg_catalog.array_remove(array[case when x.id is not null then 'id' end, case when pg_catalog.num_nulls(x.mood) operator(pg_catalog.=) 0 then 'mood' end, case when pg_catalog.num_nulls(x.moods) operator(pg_catalog.=) 0 then 'moods' end, case when pg_catalog.num_nulls(x.pair) operator(pg_catalog.=) 0 then 'pair' end]::text[], null) end
from audit_new as x cross join lateral (select x.id as id, pg_catalog.to_jsonb(case when pg_catalog.num_nulls(x.mood) operator(pg_catalog.=) 0 then pg_catalog.format('%s', x.mood) end) as mood, pg_catalog.to_jsonb(case when pg_catalog.num_nulls(x.pair) operator(pg_catalog.=) 0 then pg_catalog.format('%s', x.pair) end) as pair, pg_catalog.to_jsonb((case when pg_catalog.num_nulls(x.moods) operator(pg_catalog.=) 0 then pg_catalog.format('%s', x.moods) end)::pg_catalog.text[]) as moods) as j;

-- built at run time, UPDATE after the columns changed:
insert into audit.logs (
    created_at, transaction_id, actor_email, actor_type, actor_id, migration_name, context, db_user, application_name, client_addr,
    schema_name, table_name, record_id, old_record_id, action, old_values, new_values, changed_fields
)
select
    ($1).created_at, ($1).transaction_id, ($1).actor_email, ($1).actor_type, ($1).actor_id, ($1).migration_name, ($1).context, ($1).db_user, ($1).application_name, ($1).client_addr,
    'public', 'feelings',
    case when d.op is null or d.np is null then audit._fail('XX000', 'audit: cannot pair the old and new rows of an UPDATE on public.feelings') else (n1::integer)::text end,
    case when (o1::integer)::text <> (n1::integer)::text then (o1::integer)::text end,
    'UPDATE', ('{' || pg_catalog.array_to_string(array[case when d1 then '"id":' || coalesce(pg_catalog.to_json(o1)::text, 'null') end, case when d2 then '"mood":' || coalesce(pg_catalog.to_json(o2::pg_catalog.jsonb)::text, 'null') end, case when d3 then '"pair":' || coalesce(pg_catalog.to_json(o3::pg_catalog.jsonb)::text, 'null') end, case when d4 then '"moods":' || coalesce(pg_catalog.to_json(o4::pg_catalog.jsonb)::text, 'null') end]::text[], ',') || '}')::jsonb, d.nj,
    pg_catalog.array_remove(array[case when d1 then 'id' end, case when d2 then 'mood' end, case when d4 then 'moods' end, case when d3 then 'pair' end]::text[], null)
from (
    select op, np, nj, o1, n1, o1 is distinct from n1 as d1, o2, n2, (o2)::text collate "C" is distinct from (n2)::text collate "C" as d2, o3, n3, (o3)::text collate "C" is distinct from (n3)::text collate "C" as d3, o4, n4, (o4)::text collate "C" is distinct from (n4)::text collate "C" as d4
    from (select pg_catalog.row_number() over () as rn, true as op, x.id as o1, pg_catalog.to_jsonb(case when pg_catalog.num_nulls(x.mood) operator(pg_catalog.=) 0 then pg_catalog.format('%s', x.mood) end) as o2, pg_catalog.to_jsonb(case when pg_catalog.num_nulls(x.pair) operator(pg_catalog.=) 0 then pg_catalog.format('%s', x.pair) end) as o3, pg_catalog.to_jsonb((case when pg_catalog.num_nulls(x.moods) operator(pg_catalog.=) 0 then pg_catalog.format('%s', x.moods) end)::pg_catalog.text[]) as o4 from audit_old as x ) as o
    full join (select pg_catalog.row_number() over () as rn, true as np, pg_catalog.to_jsonb(j.*) as nj, y.id as n1, pg_catalog.to_jsonb(case when pg_catalog.num_nulls(y.mood) operator(pg_catalog.=) 0 then pg_catalog.format('%s', y.mood) end) as n2, pg_catalog.to_jsonb(case when pg_catalog.num_nulls(y.pair) operator(pg_catalog.=) 0 then pg_catalog.format('%s', y.pair) end) as n3, pg_catalog.to_jsonb((case when pg_catalog.num_nulls(y.moods) operator(pg_catalog.=) 0 then pg_catalog.format('%s', y.moods) end)::pg_catalog.text[]) as n4
        from audit_new as y cross join lateral (select y.id as id, pg_catalog.to_jsonb(case when pg_catalog.num_nulls(y.mood) operator(pg_catalog.=) 0 then pg_catalog.format('%s', y.mood) end) as mood, pg_catalog.to_jsonb(case when pg_catalog.num_nulls(y.pair) operator(pg_catalog.=) 0 then pg_catalog.format('%s', y.pair) end) as pair, pg_catalog.to_jsonb((case when pg_catalog.num_nulls(y.moods) operator(pg_catalog.=) 0 then pg_catalog.format('%s', y.moods) end)::pg_catalog.text[]) as moods) as j) as n on o.rn operator(pg_catalog.=) n.rn
    offset 0
) as d
where d.op is null or d.np is null or d1 or d2 or d3 or d4;

-- built at run time, DELETE after the columns changed:
insert into audit.logs (
    created_at, transaction_id, actor_email, actor_type, actor_id, migration_name, context, db_user, application_name, client_addr,
    schema_name, table_name, record_id, old_record_id, action, old_values, new_values, changed_fields
)
select
    ($1).created_at, ($1).transaction_id, ($1).actor_email, ($1).actor_type, ($1).actor_id, ($1).migration_name, ($1).context, ($1).db_user, ($1).application_name, ($1).client_addr,
    'public', 'feelings',
    (x.id)::text, null, 'DELETE',
    pg_catalog.to_jsonb(j.*), null,
    case when x.id is not null and pg_catalog.num_nulls(x.mood) operator(pg_catalog.=) 0 and pg_catalog.num_nulls(x.pair) operator(pg_catalog.=) 0 and pg_catalog.num_nulls(x.moods) operator(pg_catalog.=) 0 then '{id,mood,moods,pair}'::text[] else pg_catalog.array_remove(array[case when x.id is not null then 'id' end, case when pg_catalog.num_nulls(x.mood) operator(pg_catalog.=) 0 then 'mood' end, case when pg_catalog.num_nulls(x.moods) operator(pg_catalog.=) 0 then 'moods' end, case when pg_catalog.num_nulls(x.pair) operator(pg_catalog.=) 0 then 'pair' end]::text[], null) end
from audit_old as x cross join lateral (select x.id as id, pg_catalog.to_jsonb(case when pg_catalog.num_nulls(x.mood) operator(pg_catalog.=) 0 then pg_catalog.format('%s', x.mood) end) as mood, pg_catalog.to_jsonb(case when pg_catalog.num_nulls(x.pair) operator(pg_catalog.=) 0 then pg_catalog.format('%s', x.pair) end) as pair, pg_catalog.to_jsonb((case when pg_catalog.num_nulls(x.moods) operator(pg_catalog.=) 0 then pg_catalog.format('%s', x.moods) end)::pg_catalog.text[]) as moods) as j;

-- built at run time, TRUNCATE:
insert into audit.logs (
    created_at, transaction_id, actor_email, actor_type, actor_id, migration_name, context, db_user, application_name, client_addr,
    schema_name, table_name, record_id, old_record_id, action, old_values, new_values, changed_fields
)
select
    ($1).created_at, ($1).transaction_id, ($1).actor_email, ($1).actor_type, ($1).actor_id, ($1).migration_name, ($1).context, ($1).db_user, ($1).application_name, ($1).client_addr,
    'public', 'feelings',
    (x.id)::text, null, 'TRUNCATE',
    pg_catalog.to_jsonb(j.*), null,
    case when x.id is not null and pg_catalog.num_nulls(x.mood) operator(pg_catalog.=) 0 and pg_catalog.num_nulls(x.pair) operator(pg_catalog.=) 0 and pg_catalog.num_nulls(x.moods) operator(pg_catalog.=) 0 then '{id,mood,moods,pair}'::text[] else pg_catalog.array_remove(array[case when x.id is not null then 'id' end, case when pg_catalog.num_nulls(x.mood) operator(pg_catalog.=) 0 then 'mood' end, case when pg_catalog.num_nulls(x.moods) operator(pg_catalog.=) 0 then 'moods' end, case when pg_catalog.num_nulls(x.pair) operator(pg_catalog.=) 0 then 'pair' end]::text[], null) end
from only public.feelings as x cross join lateral (select x.id as id, pg_catalog.to_jsonb(case when pg_catalog.num_nulls(x.mood) operator(pg_catalog.=) 0 then pg_catalog.format('%s', x.mood) end) as mood, pg_catalog.to_jsonb(case when pg_catalog.num_nulls(x.pair) operator(pg_catalog.=) 0 then pg_catalog.format('%s', x.pair) end) as pair, pg_catalog.to_jsonb((case when pg_catalog.num_nulls(x.moods) operator(pg_catalog.=) 0 then pg_catalog.format('%s', x.moods) end)::pg_catalog.text[]) as moods) as j;

