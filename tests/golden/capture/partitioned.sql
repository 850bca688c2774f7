-- ===== capture of public.events =====

CREATE TRIGGER audit_trail_delete AFTER DELETE ON public.events REFERENCING OLD TABLE AS audit_old FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_nN();
CREATE TRIGGER audit_trail_insert AFTER INSERT ON public.events REFERENCING NEW TABLE AS audit_new FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_nN();
CREATE TRIGGER audit_trail_partition_guard BEFORE INSERT OR DELETE OR UPDATE ON public.events FOR EACH ROW EXECUTE FUNCTION audit.guard_nN();
CREATE TRIGGER audit_trail_update AFTER UPDATE ON public.events REFERENCING OLD TABLE AS audit_old NEW TABLE AS audit_new FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_nN();

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
        from (select audit._shape_matches('capture_nN', '{id:bigint,at:date,kind:text}'::text[], 'public', 'events') as fits) as s;
        if v_fits then
            if not v_many_new and not v_many_old then
                insert into audit.logs (
                    created_at, transaction_id, actor_email, actor_type, actor_id, migration_name, context, db_user, application_name, client_addr,
                    schema_name, table_name, record_id, old_record_id, action, old_values, new_values, changed_fields
                )
                select
                    capture.v_log.created_at, capture.v_log.transaction_id, capture.v_log.actor_email, capture.v_log.actor_type, capture.v_log.actor_id, capture.v_log.migration_name, capture.v_log.context, capture.v_log.db_user, capture.v_log.application_name, capture.v_log.client_addr,
                    'public', 'events',
                    pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(n1::bigint), 'at', pg_catalog.to_jsonb(n2::date))::text,
                    case when pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(o1::bigint), 'at', pg_catalog.to_jsonb(o2::date))::text <> pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(n1::bigint), 'at', pg_catalog.to_jsonb(n2::date))::text then pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(o1::bigint), 'at', pg_catalog.to_jsonb(o2::date))::text end,
                    'UPDATE', oj operator(pg_catalog.-) pg_catalog.array_remove(array[case when not d1 then 'id' end, case when not d2 then 'at' end, case when not d3 then 'kind' end]::text[], null), d.nj,
                    pg_catalog.array_remove(array[case when d2 then 'at' end, case when d1 then 'id' end, case when d3 then 'kind' end]::text[], null)
                from (
                    select oj, nj, o1, n1, o1 is distinct from n1 as d1, o2, n2, o2 is distinct from n2 as d2, o3, n3, o3 collate "C" is distinct from n3 collate "C" as d3
                    from (select pg_catalog.to_jsonb(j.*) as oj, x.id as o1, x.at as o2, x.kind as o3 from audit_old as x cross join lateral (select x.at as at, x.id as id, x.kind as kind) as j) as o,
                        (select pg_catalog.to_jsonb(j.*) as nj, y.id as n1, y.at as n2, y.kind as n3 from audit_new as y cross join lateral (select y.at as at, y.id as id, y.kind as kind) as j) as n
                    offset 0
                ) as d
                where d1 or d2 or d3;
                -- Nothing logged: nothing changed, or no row at all; but never a row without its
                -- pair. (Nested, so that a logged row costs only the test of FOUND.)
                if not found then
                    if exists (select from audit_new) <> exists (select from audit_old) then
                        perform audit._fail('XX000', 'audit: cannot pair the old and new rows of an UPDATE on public.events');
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
                    'public', 'events',
                    pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(n1::bigint), 'at', pg_catalog.to_jsonb(n2::date))::text,
                    case when pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(o1::bigint), 'at', pg_catalog.to_jsonb(o2::date))::text <> pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(n1::bigint), 'at', pg_catalog.to_jsonb(n2::date))::text then pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(o1::bigint), 'at', pg_catalog.to_jsonb(o2::date))::text end,
                    'UPDATE', ('{' || pg_catalog.array_to_string(array[case when d1 then '"id":' || coalesce(pg_catalog.to_json(o1)::text, 'null') end, case when d2 then '"at":' || coalesce(pg_catalog.to_json(o2)::text, 'null') end, case when d3 then '"kind":' || coalesce(pg_catalog.to_json(o3)::text, 'null') end]::text[], ',') || '}')::jsonb, d.nj,
                    pg_catalog.array_remove(array[case when d2 then 'at' end, case when d1 then 'id' end, case when d3 then 'kind' end]::text[], null)
                from (
                    select nj, o1, n1, o1 is distinct from n1 as d1, o2, n2, o2 is distinct from n2 as d2, o3, n3, o3 collate "C" is distinct from n3 collate "C" as d3
                    from (
                        select pg_catalog.unnest(b.nj) as nj, pg_catalog.unnest(a.o1) as o1, pg_catalog.unnest(b.n1) as n1, pg_catalog.unnest(a.o2) as o2, pg_catalog.unnest(b.n2) as n2, pg_catalog.unnest(a.o3) as o3, pg_catalog.unnest(b.n3) as n3
                        from (select pg_catalog.array_agg(x.id) as o1, pg_catalog.array_agg(x.at) as o2, pg_catalog.array_agg(x.kind) as o3 from audit_old as x ) as a,
                            (select pg_catalog.array_agg(pg_catalog.to_jsonb(j.*)) as nj, pg_catalog.array_agg(y.id) as n1, pg_catalog.array_agg(y.at) as n2, pg_catalog.array_agg(y.kind) as n3 from audit_new as y cross join lateral (select y.at as at, y.id as id, y.kind as kind) as j) as b
                    ) as z
                    offset 0
                ) as d
                where d1 or d2 or d3;
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
                    'public', 'events',
                    case when d.op is null or d.np is null then audit._fail('XX000', 'audit: cannot pair the old and new rows of an UPDATE on public.events') else pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(n1::bigint), 'at', pg_catalog.to_jsonb(n2::date))::text end,
                    case when pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(o1::bigint), 'at', pg_catalog.to_jsonb(o2::date))::text <> pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(n1::bigint), 'at', pg_catalog.to_jsonb(n2::date))::text then pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(o1::bigint), 'at', pg_catalog.to_jsonb(o2::date))::text end,
                    'UPDATE', ('{' || pg_catalog.array_to_string(array[case when d1 then '"id":' || coalesce(pg_catalog.to_json(o1)::text, 'null') end, case when d2 then '"at":' || coalesce(pg_catalog.to_json(o2)::text, 'null') end, case when d3 then '"kind":' || coalesce(pg_catalog.to_json(o3)::text, 'null') end]::text[], ',') || '}')::jsonb, d.nj,
                    pg_catalog.array_remove(array[case when d2 then 'at' end, case when d1 then 'id' end, case when d3 then 'kind' end]::text[], null)
                from (
                    select op, np, nj, o1, n1, o1 is distinct from n1 as d1, o2, n2, o2 is distinct from n2 as d2, o3, n3, o3 collate "C" is distinct from n3 collate "C" as d3
                    from (select pg_catalog.row_number() over () as rn, true as op, x.id as o1, x.at as o2, x.kind as o3 from audit_old as x ) as o
                    full join (select pg_catalog.row_number() over () as rn, true as np, pg_catalog.to_jsonb(j.*) as nj, y.id as n1, y.at as n2, y.kind as n3
                        from audit_new as y cross join lateral (select y.at as at, y.id as id, y.kind as kind) as j) as n on o.rn operator(pg_catalog.=) n.rn
                    offset 0
                ) as d
                where d.op is null or d.np is null or d1 or d2 or d3$sql$
                using v_log;
                perform pg_catalog.set_config('work_mem', v_work_mem, true);
            end if;
            return null;
        end if;
    elsif tg_op = 'INSERT' then
        select s.fits into v_fits from (select audit._shape_matches('capture_nN', '{id:bigint,at:date,kind:text}'::text[], 'public', 'events') as fits) as s
        left join (select from audit_new limit 0) as r on true;
        if v_fits then
            insert into audit.logs (
                created_at, transaction_id, actor_email, actor_type, actor_id, migration_name, context, db_user, application_name, client_addr,
                schema_name, table_name, record_id, old_record_id, action, old_values, new_values, changed_fields
            )
            select
                capture.v_log.created_at, capture.v_log.transaction_id, capture.v_log.actor_email, capture.v_log.actor_type, capture.v_log.actor_id, capture.v_log.migration_name, capture.v_log.context, capture.v_log.db_user, capture.v_log.application_name, capture.v_log.client_addr,
                'public', 'events',
                pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(x.id), 'at', pg_catalog.to_jsonb(x.at))::text, null, 'INSERT',
                null, pg_catalog.to_jsonb(j.*),
                case when x.id is not null and x.at is not null and x.kind is not null then '{at,id,kind}'::text[] else pg_catalog.array_remove(array[case when x.at is not null then 'at' end, case when x.id is not null then 'id' end, case when x.kind is not null then 'kind' end]::text[], null) end
            from audit_new as x cross join lateral (select x.at as at, x.id as id, x.kind as kind) as j;
            return null;
        end if;
    elsif tg_op = 'DELETE' then
        select s.fits into v_fits from (select audit._shape_matches('capture_nN', '{id:bigint,at:date,kind:text}'::text[], 'public', 'events') as fits) as s
        left join (select from audit_old limit 0) as r on true;
        if v_fits then
            insert into audit.logs (
                created_at, transaction_id, actor_email, actor_type, actor_id, migration_name, context, db_user, application_name, client_addr,
                schema_name, table_name, record_id, old_record_id, action, old_values, new_values, changed_fields
            )
            select
                capture.v_log.created_at, capture.v_log.transaction_id, capture.v_log.actor_email, capture.v_log.actor_type, capture.v_log.actor_id, capture.v_log.migration_name, capture.v_log.context, capture.v_log.db_user, capture.v_log.application_name, capture.v_log.client_addr,
                'public', 'events',
                pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(x.id), 'at', pg_catalog.to_jsonb(x.at))::text, null, 'DELETE',
                pg_catalog.to_jsonb(j.*), null,
                case when x.id is not null and x.at is not null and x.kind is not null then '{at,id,kind}'::text[] else pg_catalog.array_remove(array[case when x.at is not null then 'at' end, case when x.id is not null then 'id' end, case when x.kind is not null then 'kind' end]::text[], null) end
            from audit_old as x cross join lateral (select x.at as at, x.id as id, x.kind as kind) as j;
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

create or replace function audit.guard_nN() returns trigger language plpgsql security definer
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
begin
    if not exists (
        select from pg_catalog.pg_trigger as t
        where t.tgrelid operator(pg_catalog.=) tg_relid and t.tgname operator(pg_catalog.=) 'audit_trail_insert'
    ) or (
        select c.relispartition from pg_catalog.pg_class as c
        where c.oid operator(pg_catalog.=) audit._relation_of('guard_nN')
    ) then
        perform audit._guard_refuses(tg_relid, audit._relation_of('guard_nN'));
    end if;
    if tg_op operator(pg_catalog.=) 'DELETE' then
        return old;
    end if;
    return new;
end
$body$;

-- built at run time, INSERT after the columns changed:
insert into audit.logs (
    created_at, transaction_id, actor_email, actor_type, actor_id, migration_name, context, db_user, application_name, client_addr,
    schema_name, table_name, record_id, old_record_id, action, old_values, new_values, changed_fields
)
select
    ($1).created_at, ($1).transaction_id, ($1).actor_email, ($1).actor_type, ($1).actor_id, ($1).migration_name, ($1).context, ($1).db_user, ($1).application_name, ($1).client_addr,
    'public', 'events',
    pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(x.id), 'at', pg_catalog.to_jsonb(x.at))::text, null, 'INSERT',
    null, pg_catalog.to_jsonb(j.*),
    case when x.id is not null and x.at is not null and x.kind is not null then '{at,id,kind}'::text[] else pg_catalog.array_remove(array[case when x.at is not null then 'at' end, case when x.id is not null then 'id' end, case when x.kind is not null then 'kind' end]::text[], null) end
from audit_new as x cross join lateral (select x.at as at, x.id as id, x.kind as kind) as j;

-- built at run time, UPDATE after the columns changed:
insert into audit.logs (
    created_at, transaction_id, actor_email, actor_type, actor_id, migration_name, context, db_user, application_name, client_addr,
    schema_name, table_name, record_id, old_record_id, action, old_values, new_values, changed_fields
)
select
    ($1).created_at, ($1).transaction_id, ($1).actor_email, ($1).actor_type, ($1).actor_id, ($1).migration_name, ($1).context, ($1).db_user, ($1).application_name, ($1).client_addr,
    'public', 'events',
    case when d.op is null or d.np is null then audit._fail('XX000', 'audit: cannot pair the old and new rows of an UPDATE on public.events') else pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(n1::bigint), 'at', pg_catalog.to_jsonb(n2::date))::text end,
    case when pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(o1::bigint), 'at', pg_catalog.to_jsonb(o2::date))::text <> pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(n1::bigint), 'at', pg_catalog.to_jsonb(n2::date))::text then pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(o1::bigint), 'at', pg_catalog.to_jsonb(o2::date))::text end,
    'UPDATE', ('{' || pg_catalog.array_to_string(array[case when d1 then '"id":' || coalesce(pg_catalog.to_json(o1)::text, 'null') end, case when d2 then '"at":' || coalesce(pg_catalog.to_json(o2)::text, 'null') end, case when d3 then '"kind":' || coalesce(pg_catalog.to_json(o3)::text, 'null') end]::text[], ',') || '}')::jsonb, d.nj,
    pg_catalog.array_remove(array[case when d2 then 'at' end, case when d1 then 'id' end, case when d3 then 'kind' end]::text[], null)
from (
    select op, np, nj, o1, n1, o1 is distinct from n1 as d1, o2, n2, o2 is distinct from n2 as d2, o3, n3, o3 collate "C" is distinct from n3 collate "C" as d3
    from (select pg_catalog.row_number() over () as rn, true as op, x.id as o1, x.at as o2, x.kind as o3 from audit_old as x ) as o
    full join (select pg_catalog.row_number() over () as rn, true as np, pg_catalog.to_jsonb(j.*) as nj, y.id as n1, y.at as n2, y.kind as n3
        from audit_new as y cross join lateral (select y.at as at, y.id as id, y.kind as kind) as j) as n on o.rn operator(pg_catalog.=) n.rn
    offset 0
) as d
where d.op is null or d.np is null or d1 or d2 or d3;

-- built at run time, DELETE after the columns changed:
insert into audit.logs (
    created_at, transaction_id, actor_email, actor_type, actor_id, migration_name, context, db_user, application_name, client_addr,
    schema_name, table_name, record_id, old_record_id, action, old_values, new_values, changed_fields
)
select
    ($1).created_at, ($1).transaction_id, ($1).actor_email, ($1).actor_type, ($1).actor_id, ($1).migration_name, ($1).context, ($1).db_user, ($1).application_name, ($1).client_addr,
    'public', 'events',
    pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(x.id), 'at', pg_catalog.to_jsonb(x.at))::text, null, 'DELETE',
    pg_catalog.to_jsonb(j.*), null,
    case when x.id is not null and x.at is not null and x.kind is not null then '{at,id,kind}'::text[] else pg_catalog.array_remove(array[case when x.at is not null then 'at' end, case when x.id is not null then 'id' end, case when x.kind is not null then 'kind' end]::text[], null) end
from audit_old as x cross join lateral (select x.at as at, x.id as id, x.kind as kind) as j;

-- ===== capture of public.events_2024 =====

CREATE TRIGGER audit_trail_delete AFTER DELETE ON public.events_2024 REFERENCING OLD TABLE AS audit_old FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_nN();
CREATE TRIGGER audit_trail_insert AFTER INSERT ON public.events_2024 REFERENCING NEW TABLE AS audit_new FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_nN();
-- audit_trail_partition_guard: cloned from the trigger of public.events
CREATE TRIGGER audit_trail_truncate BEFORE TRUNCATE ON public.events_2024 FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_nN();
CREATE TRIGGER audit_trail_update AFTER UPDATE ON public.events_2024 REFERENCING OLD TABLE AS audit_old NEW TABLE AS audit_new FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_nN();

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
        from (select audit._shape_matches('capture_nN', '{id:bigint,at:date,kind:text}'::text[], 'public', 'events') and audit._captures_for(tg_relid, 'public', 'events') as fits) as s;
        if v_fits then
            if not v_many_new and not v_many_old then
                insert into audit.logs (
                    created_at, transaction_id, actor_email, actor_type, actor_id, migration_name, context, db_user, application_name, client_addr,
                    schema_name, table_name, record_id, old_record_id, action, old_values, new_values, changed_fields
                )
                select
                    capture.v_log.created_at, capture.v_log.transaction_id, capture.v_log.actor_email, capture.v_log.actor_type, capture.v_log.actor_id, capture.v_log.migration_name, capture.v_log.context, capture.v_log.db_user, capture.v_log.application_name, capture.v_log.client_addr,
                    'public', 'events',
                    pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(n1::bigint), 'at', pg_catalog.to_jsonb(n2::date))::text,
                    case when pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(o1::bigint), 'at', pg_catalog.to_jsonb(o2::date))::text <> pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(n1::bigint), 'at', pg_catalog.to_jsonb(n2::date))::text then pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(o1::bigint), 'at', pg_catalog.to_jsonb(o2::date))::text end,
                    'UPDATE', oj operator(pg_catalog.-) pg_catalog.array_remove(array[case when not d1 then 'id' end, case when not d2 then 'at' end, case when not d3 then 'kind' end]::text[], null), d.nj,
                    pg_catalog.array_remove(array[case when d2 then 'at' end, case when d1 then 'id' end, case when d3 then 'kind' end]::text[], null)
                from (
                    select oj, nj, o1, n1, o1 is distinct from n1 as d1, o2, n2, o2 is distinct from n2 as d2, o3, n3, o3 collate "C" is distinct from n3 collate "C" as d3
                    from (select pg_catalog.to_jsonb(j.*) as oj, x.id as o1, x.at as o2, x.kind as o3 from audit_old as x cross join lateral (select x.at as at, x.id as id, x.kind as kind) as j) as o,
                        (select pg_catalog.to_jsonb(j.*) as nj, y.id as n1, y.at as n2, y.kind as n3 from audit_new as y cross join lateral (select y.at as at, y.id as id, y.kind as kind) as j) as n
                    offset 0
                ) as d
                where d1 or d2 or d3;
                -- Nothing logged: nothing changed, or no row at all; but never a row without its
                -- pair. (Nested, so that a logged row costs only the test of FOUND.)
                if not found then
                    if exists (select from audit_new) <> exists (select from audit_old) then
                        perform audit._fail('XX000', 'audit: cannot pair the old and new rows of an UPDATE on public.events_2024');
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
                    'public', 'events',
                    pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(n1::bigint), 'at', pg_catalog.to_jsonb(n2::date))::text,
                    case when pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(o1::bigint), 'at', pg_catalog.to_jsonb(o2::date))::text <> pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(n1::bigint), 'at', pg_catalog.to_jsonb(n2::date))::text then pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(o1::bigint), 'at', pg_catalog.to_jsonb(o2::date))::text end,
                    'UPDATE', ('{' || pg_catalog.array_to_string(array[case when d1 then '"id":' || coalesce(pg_catalog.to_json(o1)::text, 'null') end, case when d2 then '"at":' || coalesce(pg_catalog.to_json(o2)::text, 'null') end, case when d3 then '"kind":' || coalesce(pg_catalog.to_json(o3)::text, 'null') end]::text[], ',') || '}')::jsonb, d.nj,
                    pg_catalog.array_remove(array[case when d2 then 'at' end, case when d1 then 'id' end, case when d3 then 'kind' end]::text[], null)
                from (
                    select nj, o1, n1, o1 is distinct from n1 as d1, o2, n2, o2 is distinct from n2 as d2, o3, n3, o3 collate "C" is distinct from n3 collate "C" as d3
                    from (
                        select pg_catalog.unnest(b.nj) as nj, pg_catalog.unnest(a.o1) as o1, pg_catalog.unnest(b.n1) as n1, pg_catalog.unnest(a.o2) as o2, pg_catalog.unnest(b.n2) as n2, pg_catalog.unnest(a.o3) as o3, pg_catalog.unnest(b.n3) as n3
                        from (select pg_catalog.array_agg(x.id) as o1, pg_catalog.array_agg(x.at) as o2, pg_catalog.array_agg(x.kind) as o3 from audit_old as x ) as a,
                            (select pg_catalog.array_agg(pg_catalog.to_jsonb(j.*)) as nj, pg_catalog.array_agg(y.id) as n1, pg_catalog.array_agg(y.at) as n2, pg_catalog.array_agg(y.kind) as n3 from audit_new as y cross join lateral (select y.at as at, y.id as id, y.kind as kind) as j) as b
                    ) as z
                    offset 0
                ) as d
                where d1 or d2 or d3;
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
                    'public', 'events',
                    case when d.op is null or d.np is null then audit._fail('XX000', 'audit: cannot pair the old and new rows of an UPDATE on public.events_2024') else pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(n1::bigint), 'at', pg_catalog.to_jsonb(n2::date))::text end,
                    case when pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(o1::bigint), 'at', pg_catalog.to_jsonb(o2::date))::text <> pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(n1::bigint), 'at', pg_catalog.to_jsonb(n2::date))::text then pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(o1::bigint), 'at', pg_catalog.to_jsonb(o2::date))::text end,
                    'UPDATE', ('{' || pg_catalog.array_to_string(array[case when d1 then '"id":' || coalesce(pg_catalog.to_json(o1)::text, 'null') end, case when d2 then '"at":' || coalesce(pg_catalog.to_json(o2)::text, 'null') end, case when d3 then '"kind":' || coalesce(pg_catalog.to_json(o3)::text, 'null') end]::text[], ',') || '}')::jsonb, d.nj,
                    pg_catalog.array_remove(array[case when d2 then 'at' end, case when d1 then 'id' end, case when d3 then 'kind' end]::text[], null)
                from (
                    select op, np, nj, o1, n1, o1 is distinct from n1 as d1, o2, n2, o2 is distinct from n2 as d2, o3, n3, o3 collate "C" is distinct from n3 collate "C" as d3
                    from (select pg_catalog.row_number() over () as rn, true as op, x.id as o1, x.at as o2, x.kind as o3 from audit_old as x ) as o
                    full join (select pg_catalog.row_number() over () as rn, true as np, pg_catalog.to_jsonb(j.*) as nj, y.id as n1, y.at as n2, y.kind as n3
                        from audit_new as y cross join lateral (select y.at as at, y.id as id, y.kind as kind) as j) as n on o.rn operator(pg_catalog.=) n.rn
                    offset 0
                ) as d
                where d.op is null or d.np is null or d1 or d2 or d3$sql$
                using v_log;
                perform pg_catalog.set_config('work_mem', v_work_mem, true);
            end if;
            return null;
        end if;
    elsif tg_op = 'INSERT' then
        select s.fits into v_fits from (select audit._shape_matches('capture_nN', '{id:bigint,at:date,kind:text}'::text[], 'public', 'events') and audit._captures_for(tg_relid, 'public', 'events') as fits) as s
        left join (select from audit_new limit 0) as r on true;
        if v_fits then
            insert into audit.logs (
                created_at, transaction_id, actor_email, actor_type, actor_id, migration_name, context, db_user, application_name, client_addr,
                schema_name, table_name, record_id, old_record_id, action, old_values, new_values, changed_fields
            )
            select
                capture.v_log.created_at, capture.v_log.transaction_id, capture.v_log.actor_email, capture.v_log.actor_type, capture.v_log.actor_id, capture.v_log.migration_name, capture.v_log.context, capture.v_log.db_user, capture.v_log.application_name, capture.v_log.client_addr,
                'public', 'events',
                pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(x.id), 'at', pg_catalog.to_jsonb(x.at))::text, null, 'INSERT',
                null, pg_catalog.to_jsonb(j.*),
                case when x.id is not null and x.at is not null and x.kind is not null then '{at,id,kind}'::text[] else pg_catalog.array_remove(array[case when x.at is not null then 'at' end, case when x.id is not null then 'id' end, case when x.kind is not null then 'kind' end]::text[], null) end
            from audit_new as x cross join lateral (select x.at as at, x.id as id, x.kind as kind) as j;
            return null;
        end if;
    elsif tg_op = 'DELETE' then
        select s.fits into v_fits from (select audit._shape_matches('capture_nN', '{id:bigint,at:date,kind:text}'::text[], 'public', 'events') and audit._captures_for(tg_relid, 'public', 'events') as fits) as s
        left join (select from audit_old limit 0) as r on true;
        if v_fits then
            insert into audit.logs (
                created_at, transaction_id, actor_email, actor_type, actor_id, migration_name, context, db_user, application_name, client_addr,
                schema_name, table_name, record_id, old_record_id, action, old_values, new_values, changed_fields
            )
            select
                capture.v_log.created_at, capture.v_log.transaction_id, capture.v_log.actor_email, capture.v_log.actor_type, capture.v_log.actor_id, capture.v_log.migration_name, capture.v_log.context, capture.v_log.db_user, capture.v_log.application_name, capture.v_log.client_addr,
                'public', 'events',
                pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(x.id), 'at', pg_catalog.to_jsonb(x.at))::text, null, 'DELETE',
                pg_catalog.to_jsonb(j.*), null,
                case when x.id is not null and x.at is not null and x.kind is not null then '{at,id,kind}'::text[] else pg_catalog.array_remove(array[case when x.at is not null then 'at' end, case when x.id is not null then 'id' end, case when x.kind is not null then 'kind' end]::text[], null) end
            from audit_old as x cross join lateral (select x.at as at, x.id as id, x.kind as kind) as j;
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
    'public', 'events',
    pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(x.id), 'at', pg_catalog.to_jsonb(x.at))::text, null, 'INSERT',
    null, pg_catalog.to_jsonb(j.*),
    case when x.id is not null and x.at is not null and x.kind is not null then '{at,id,kind}'::text[] else pg_catalog.array_remove(array[case when x.at is not null then 'at' end, case when x.id is not null then 'id' end, case when x.kind is not null then 'kind' end]::text[], null) end
from audit_new as x cross join lateral (select x.at as at, x.id as id, x.kind as kind) as j;

-- built at run time, UPDATE after the columns changed:
insert into audit.logs (
    created_at, transaction_id, actor_email, actor_type, actor_id, migration_name, context, db_user, application_name, client_addr,
    schema_name, table_name, record_id, old_record_id, action, old_values, new_values, changed_fields
)
select
    ($1).created_at, ($1).transaction_id, ($1).actor_email, ($1).actor_type, ($1).actor_id, ($1).migration_name, ($1).context, ($1).db_user, ($1).application_name, ($1).client_addr,
    'public', 'events',
    case when d.op is null or d.np is null then audit._fail('XX000', 'audit: cannot pair the old and new rows of an UPDATE on public.events_2024') else pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(n1::bigint), 'at', pg_catalog.to_jsonb(n2::date))::text end,
    case when pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(o1::bigint), 'at', pg_catalog.to_jsonb(o2::date))::text <> pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(n1::bigint), 'at', pg_catalog.to_jsonb(n2::date))::text then pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(o1::bigint), 'at', pg_catalog.to_jsonb(o2::date))::text end,
    'UPDATE', ('{' || pg_catalog.array_to_string(array[case when d1 then '"id":' || coalesce(pg_catalog.to_json(o1)::text, 'null') end, case when d2 then '"at":' || coalesce(pg_catalog.to_json(o2)::text, 'null') end, case when d3 then '"kind":' || coalesce(pg_catalog.to_json(o3)::text, 'null') end]::text[], ',') || '}')::jsonb, d.nj,
    pg_catalog.array_remove(array[case when d2 then 'at' end, case when d1 then 'id' end, case when d3 then 'kind' end]::text[], null)
from (
    select op, np, nj, o1, n1, o1 is distinct from n1 as d1, o2, n2, o2 is distinct from n2 as d2, o3, n3, o3 collate "C" is distinct from n3 collate "C" as d3
    from (select pg_catalog.row_number() over () as rn, true as op, x.id as o1, x.at as o2, x.kind as o3 from audit_old as x ) as o
    full join (select pg_catalog.row_number() over () as rn, true as np, pg_catalog.to_jsonb(j.*) as nj, y.id as n1, y.at as n2, y.kind as n3
        from audit_new as y cross join lateral (select y.at as at, y.id as id, y.kind as kind) as j) as n on o.rn operator(pg_catalog.=) n.rn
    offset 0
) as d
where d.op is null or d.np is null or d1 or d2 or d3;

-- built at run time, DELETE after the columns changed:
insert into audit.logs (
    created_at, transaction_id, actor_email, actor_type, actor_id, migration_name, context, db_user, application_name, client_addr,
    schema_name, table_name, record_id, old_record_id, action, old_values, new_values, changed_fields
)
select
    ($1).created_at, ($1).transaction_id, ($1).actor_email, ($1).actor_type, ($1).actor_id, ($1).migration_name, ($1).context, ($1).db_user, ($1).application_name, ($1).client_addr,
    'public', 'events',
    pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(x.id), 'at', pg_catalog.to_jsonb(x.at))::text, null, 'DELETE',
    pg_catalog.to_jsonb(j.*), null,
    case when x.id is not null and x.at is not null and x.kind is not null then '{at,id,kind}'::text[] else pg_catalog.array_remove(array[case when x.at is not null then 'at' end, case when x.id is not null then 'id' end, case when x.kind is not null then 'kind' end]::text[], null) end
from audit_old as x cross join lateral (select x.at as at, x.id as id, x.kind as kind) as j;

-- built at run time, TRUNCATE:
insert into audit.logs (
    created_at, transaction_id, actor_email, actor_type, actor_id, migration_name, context, db_user, application_name, client_addr,
    schema_name, table_name, record_id, old_record_id, action, old_values, new_values, changed_fields
)
select
    ($1).created_at, ($1).transaction_id, ($1).actor_email, ($1).actor_type, ($1).actor_id, ($1).migration_name, ($1).context, ($1).db_user, ($1).application_name, ($1).client_addr,
    'public', 'events',
    pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(x.id), 'at', pg_catalog.to_jsonb(x.at))::text, null, 'TRUNCATE',
    pg_catalog.to_jsonb(j.*), null,
    case when x.id is not null and x.at is not null and x.kind is not null then '{at,id,kind}'::text[] else pg_catalog.array_remove(array[case when x.at is not null then 'at' end, case when x.id is not null then 'id' end, case when x.kind is not null then 'kind' end]::text[], null) end
from only public.events_2024 as x cross join lateral (select x.at as at, x.id as id, x.kind as kind) as j;

-- ===== capture of public.events_2025 =====

CREATE TRIGGER audit_trail_delete AFTER DELETE ON public.events_2025 REFERENCING OLD TABLE AS audit_old FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_nN();
CREATE TRIGGER audit_trail_insert AFTER INSERT ON public.events_2025 REFERENCING NEW TABLE AS audit_new FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_nN();
-- audit_trail_partition_guard: cloned from the trigger of public.events
CREATE TRIGGER audit_trail_truncate BEFORE TRUNCATE ON public.events_2025 FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_nN();
CREATE TRIGGER audit_trail_update AFTER UPDATE ON public.events_2025 REFERENCING OLD TABLE AS audit_old NEW TABLE AS audit_new FOR EACH STATEMENT EXECUTE FUNCTION audit.capture_nN();

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
        from (select audit._shape_matches('capture_nN', '{id:bigint,at:date,kind:text}'::text[], 'public', 'events') and audit._captures_for(tg_relid, 'public', 'events') as fits) as s;
        if v_fits then
            if not v_many_new and not v_many_old then
                insert into audit.logs (
                    created_at, transaction_id, actor_email, actor_type, actor_id, migration_name, context, db_user, application_name, client_addr,
                    schema_name, table_name, record_id, old_record_id, action, old_values, new_values, changed_fields
                )
                select
                    capture.v_log.created_at, capture.v_log.transaction_id, capture.v_log.actor_email, capture.v_log.actor_type, capture.v_log.actor_id, capture.v_log.migration_name, capture.v_log.context, capture.v_log.db_user, capture.v_log.application_name, capture.v_log.client_addr,
                    'public', 'events',
                    pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(n1::bigint), 'at', pg_catalog.to_jsonb(n2::date))::text,
                    case when pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(o1::bigint), 'at', pg_catalog.to_jsonb(o2::date))::text <> pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(n1::bigint), 'at', pg_catalog.to_jsonb(n2::date))::text then pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(o1::bigint), 'at', pg_catalog.to_jsonb(o2::date))::text end,
                    'UPDATE', oj operator(pg_catalog.-) pg_catalog.array_remove(array[case when not d1 then 'id' end, case when not d2 then 'at' end, case when not d3 then 'kind' end]::text[], null), d.nj,
                    pg_catalog.array_remove(array[case when d2 then 'at' end, case when d1 then 'id' end, case when d3 then 'kind' end]::text[], null)
                from (
                    select oj, nj, o1, n1, o1 is distinct from n1 as d1, o2, n2, o2 is distinct from n2 as d2, o3, n3, o3 collate "C" is distinct from n3 collate "C" as d3
                    from (select pg_catalog.to_jsonb(j.*) as oj, x.id as o1, x.at as o2, x.kind as o3 from audit_old as x cross join lateral (select x.at as at, x.id as id, x.kind as kind) as j) as o,
                        (select pg_catalog.to_jsonb(j.*) as nj, y.id as n1, y.at as n2, y.kind as n3 from audit_new as y cross join lateral (select y.at as at, y.id as id, y.kind as kind) as j) as n
                    offset 0
                ) as d
                where d1 or d2 or d3;
                -- Nothing logged: nothing changed, or no row at all; but never a row without its
                -- pair. (Nested, so that a logged row costs only the test of FOUND.)
                if not found then
                    if exists (select from audit_new) <> exists (select from audit_old) then
                        perform audit._fail('XX000', 'audit: cannot pair the old and new rows of an UPDATE on public.events_2025');
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
                    'public', 'events',
                    pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(n1::bigint), 'at', pg_catalog.to_jsonb(n2::date))::text,
                    case when pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(o1::bigint), 'at', pg_catalog.to_jsonb(o2::date))::text <> pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(n1::bigint), 'at', pg_catalog.to_jsonb(n2::date))::text then pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(o1::bigint), 'at', pg_catalog.to_jsonb(o2::date))::text end,
                    'UPDATE', ('{' || pg_catalog.array_to_string(array[case when d1 then '"id":' || coalesce(pg_catalog.to_json(o1)::text, 'null') end, case when d2 then '"at":' || coalesce(pg_catalog.to_json(o2)::text, 'null') end, case when d3 then '"kind":' || coalesce(pg_catalog.to_json(o3)::text, 'null') end]::text[], ',') || '}')::jsonb, d.nj,
                    pg_catalog.array_remove(array[case when d2 then 'at' end, case when d1 then 'id' end, case when d3 then 'kind' end]::text[], null)
                from (
                    select nj, o1, n1, o1 is distinct from n1 as d1, o2, n2, o2 is distinct from n2 as d2, o3, n3, o3 collate "C" is distinct from n3 collate "C" as d3
                    from (
                        select pg_catalog.unnest(b.nj) as nj, pg_catalog.unnest(a.o1) as o1, pg_catalog.unnest(b.n1) as n1, pg_catalog.unnest(a.o2) as o2, pg_catalog.unnest(b.n2) as n2, pg_catalog.unnest(a.o3) as o3, pg_catalog.unnest(b.n3) as n3
                        from (select pg_catalog.array_agg(x.id) as o1, pg_catalog.array_agg(x.at) as o2, pg_catalog.array_agg(x.kind) as o3 from audit_old as x ) as a,
                            (select pg_catalog.array_agg(pg_catalog.to_jsonb(j.*)) as nj, pg_catalog.array_agg(y.id) as n1, pg_catalog.array_agg(y.at) as n2, pg_catalog.array_agg(y.kind) as n3 from audit_new as y cross join lateral (select y.at as at, y.id as id, y.kind as kind) as j) as b
                    ) as z
                    offset 0
                ) as d
                where d1 or d2 or d3;
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
                    'public', 'events',
                    case when d.op is null or d.np is null then audit._fail('XX000', 'audit: cannot pair the old and new rows of an UPDATE on public.events_2025') else pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(n1::bigint), 'at', pg_catalog.to_jsonb(n2::date))::text end,
                    case when pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(o1::bigint), 'at', pg_catalog.to_jsonb(o2::date))::text <> pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(n1::bigint), 'at', pg_catalog.to_jsonb(n2::date))::text then pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(o1::bigint), 'at', pg_catalog.to_jsonb(o2::date))::text end,
                    'UPDATE', ('{' || pg_catalog.array_to_string(array[case when d1 then '"id":' || coalesce(pg_catalog.to_json(o1)::text, 'null') end, case when d2 then '"at":' || coalesce(pg_catalog.to_json(o2)::text, 'null') end, case when d3 then '"kind":' || coalesce(pg_catalog.to_json(o3)::text, 'null') end]::text[], ',') || '}')::jsonb, d.nj,
                    pg_catalog.array_remove(array[case when d2 then 'at' end, case when d1 then 'id' end, case when d3 then 'kind' end]::text[], null)
                from (
                    select op, np, nj, o1, n1, o1 is distinct from n1 as d1, o2, n2, o2 is distinct from n2 as d2, o3, n3, o3 collate "C" is distinct from n3 collate "C" as d3
                    from (select pg_catalog.row_number() over () as rn, true as op, x.id as o1, x.at as o2, x.kind as o3 from audit_old as x ) as o
                    full join (select pg_catalog.row_number() over () as rn, true as np, pg_catalog.to_jsonb(j.*) as nj, y.id as n1, y.at as n2, y.kind as n3
                        from audit_new as y cross join lateral (select y.at as at, y.id as id, y.kind as kind) as j) as n on o.rn operator(pg_catalog.=) n.rn
                    offset 0
                ) as d
                where d.op is null or d.np is null or d1 or d2 or d3$sql$
                using v_log;
                perform pg_catalog.set_config('work_mem', v_work_mem, true);
            end if;
            return null;
        end if;
    elsif tg_op = 'INSERT' then
        select s.fits into v_fits from (select audit._shape_matches('capture_nN', '{id:bigint,at:date,kind:text}'::text[], 'public', 'events') and audit._captures_for(tg_relid, 'public', 'events') as fits) as s
        left join (select from audit_new limit 0) as r on true;
        if v_fits then
            insert into audit.logs (
                created_at, transaction_id, actor_email, actor_type, actor_id, migration_name, context, db_user, application_name, client_addr,
                schema_name, table_name, record_id, old_record_id, action, old_values, new_values, changed_fields
            )
            select
                capture.v_log.created_at, capture.v_log.transaction_id, capture.v_log.actor_email, capture.v_log.actor_type, capture.v_log.actor_id, capture.v_log.migration_name, capture.v_log.context, capture.v_log.db_user, capture.v_log.application_name, capture.v_log.client_addr,
                'public', 'events',
                pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(x.id), 'at', pg_catalog.to_jsonb(x.at))::text, null, 'INSERT',
                null, pg_catalog.to_jsonb(j.*),
                case when x.id is not null and x.at is not null and x.kind is not null then '{at,id,kind}'::text[] else pg_catalog.array_remove(array[case when x.at is not null then 'at' end, case when x.id is not null then 'id' end, case when x.kind is not null then 'kind' end]::text[], null) end
            from audit_new as x cross join lateral (select x.at as at, x.id as id, x.kind as kind) as j;
            return null;
        end if;
    elsif tg_op = 'DELETE' then
        select s.fits into v_fits from (select audit._shape_matches('capture_nN', '{id:bigint,at:date,kind:text}'::text[], 'public', 'events') and audit._captures_for(tg_relid, 'public', 'events') as fits) as s
        left join (select from audit_old limit 0) as r on true;
        if v_fits then
            insert into audit.logs (
                created_at, transaction_id, actor_email, actor_type, actor_id, migration_name, context, db_user, application_name, client_addr,
                schema_name, table_name, record_id, old_record_id, action, old_values, new_values, changed_fields
            )
            select
                capture.v_log.created_at, capture.v_log.transaction_id, capture.v_log.actor_email, capture.v_log.actor_type, capture.v_log.actor_id, capture.v_log.migration_name, capture.v_log.context, capture.v_log.db_user, capture.v_log.application_name, capture.v_log.client_addr,
                'public', 'events',
                pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(x.id), 'at', pg_catalog.to_jsonb(x.at))::text, null, 'DELETE',
                pg_catalog.to_jsonb(j.*), null,
                case when x.id is not null and x.at is not null and x.kind is not null then '{at,id,kind}'::text[] else pg_catalog.array_remove(array[case when x.at is not null then 'at' end, case when x.id is not null then 'id' end, case when x.kind is not null then 'kind' end]::text[], null) end
            from audit_old as x cross join lateral (select x.at as at, x.id as id, x.kind as kind) as j;
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
    'public', 'events',
    pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(x.id), 'at', pg_catalog.to_jsonb(x.at))::text, null, 'INSERT',
    null, pg_catalog.to_jsonb(j.*),
    case when x.id is not null and x.at is not null and x.kind is not null then '{at,id,kind}'::text[] else pg_catalog.array_remove(array[case when x.at is not null then 'at' end, case when x.id is not null then 'id' end, case when x.kind is not null then 'kind' end]::text[], null) end
from audit_new as x cross join lateral (select x.at as at, x.id as id, x.kind as kind) as j;

-- built at run time, UPDATE after the columns changed:
insert into audit.logs (
    created_at, transaction_id, actor_email, actor_type, actor_id, migration_name, context, db_user, application_name, client_addr,
    schema_name, table_name, record_id, old_record_id, action, old_values, new_values, changed_fields
)
select
    ($1).created_at, ($1).transaction_id, ($1).actor_email, ($1).actor_type, ($1).actor_id, ($1).migration_name, ($1).context, ($1).db_user, ($1).application_name, ($1).client_addr,
    'public', 'events',
    case when d.op is null or d.np is null then audit._fail('XX000', 'audit: cannot pair the old and new rows of an UPDATE on public.events_2025') else pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(n1::bigint), 'at', pg_catalog.to_jsonb(n2::date))::text end,
    case when pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(o1::bigint), 'at', pg_catalog.to_jsonb(o2::date))::text <> pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(n1::bigint), 'at', pg_catalog.to_jsonb(n2::date))::text then pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(o1::bigint), 'at', pg_catalog.to_jsonb(o2::date))::text end,
    'UPDATE', ('{' || pg_catalog.array_to_string(array[case when d1 then '"id":' || coalesce(pg_catalog.to_json(o1)::text, 'null') end, case when d2 then '"at":' || coalesce(pg_catalog.to_json(o2)::text, 'null') end, case when d3 then '"kind":' || coalesce(pg_catalog.to_json(o3)::text, 'null') end]::text[], ',') || '}')::jsonb, d.nj,
    pg_catalog.array_remove(array[case when d2 then 'at' end, case when d1 then 'id' end, case when d3 then 'kind' end]::text[], null)
from (
    select op, np, nj, o1, n1, o1 is distinct from n1 as d1, o2, n2, o2 is distinct from n2 as d2, o3, n3, o3 collate "C" is distinct from n3 collate "C" as d3
    from (select pg_catalog.row_number() over () as rn, true as op, x.id as o1, x.at as o2, x.kind as o3 from audit_old as x ) as o
    full join (select pg_catalog.row_number() over () as rn, true as np, pg_catalog.to_jsonb(j.*) as nj, y.id as n1, y.at as n2, y.kind as n3
        from audit_new as y cross join lateral (select y.at as at, y.id as id, y.kind as kind) as j) as n on o.rn operator(pg_catalog.=) n.rn
    offset 0
) as d
where d.op is null or d.np is null or d1 or d2 or d3;

-- built at run time, DELETE after the columns changed:
insert into audit.logs (
    created_at, transaction_id, actor_email, actor_type, actor_id, migration_name, context, db_user, application_name, client_addr,
    schema_name, table_name, record_id, old_record_id, action, old_values, new_values, changed_fields
)
select
    ($1).created_at, ($1).transaction_id, ($1).actor_email, ($1).actor_type, ($1).actor_id, ($1).migration_name, ($1).context, ($1).db_user, ($1).application_name, ($1).client_addr,
    'public', 'events',
    pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(x.id), 'at', pg_catalog.to_jsonb(x.at))::text, null, 'DELETE',
    pg_catalog.to_jsonb(j.*), null,
    case when x.id is not null and x.at is not null and x.kind is not null then '{at,id,kind}'::text[] else pg_catalog.array_remove(array[case when x.at is not null then 'at' end, case when x.id is not null then 'id' end, case when x.kind is not null then 'kind' end]::text[], null) end
from audit_old as x cross join lateral (select x.at as at, x.id as id, x.kind as kind) as j;

-- built at run time, TRUNCATE:
insert into audit.logs (
    created_at, transaction_id, actor_email, actor_type, actor_id, migration_name, context, db_user, application_name, client_addr,
    schema_name, table_name, record_id, old_record_id, action, old_values, new_values, changed_fields
)
select
    ($1).created_at, ($1).transaction_id, ($1).actor_email, ($1).actor_type, ($1).actor_id, ($1).migration_name, ($1).context, ($1).db_user, ($1).application_name, ($1).client_addr,
    'public', 'events',
    pg_catalog.jsonb_build_object('id', pg_catalog.to_jsonb(x.id), 'at', pg_catalog.to_jsonb(x.at))::text, null, 'TRUNCATE',
    pg_catalog.to_jsonb(j.*), null,
    case when x.id is not null and x.at is not null and x.kind is not null then '{at,id,kind}'::text[] else pg_catalog.array_remove(array[case when x.at is not null then 'at' end, case when x.id is not null then 'id' end, case when x.kind is not null then 'kind' end]::text[], null) end
from only public.events_2025 as x cross join lateral (select x.at as at, x.id as id, x.kind as kind) as j;

