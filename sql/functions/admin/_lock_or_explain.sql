-- Takes the locks one step of the install needs, all or none: relation p_rels[i] in mode
-- p_modes[i] ('share', 'share row exclusive', 'access exclusive', ...). It never waits in a lock
-- queue (NOWAIT), so no writer waits behind it and it waits for no lock while it holds one that
-- writers need: when one lock is not free, the others are given back, and it tries again a little
-- later, until lock_timeout has passed (0: no limit). Then it fails with SQLSTATE 55P03 and names
-- the relation and the sessions that hold it. A relation the install role may not LOCK is left to
-- the statement that needs it (which waits at most lock_timeout). Created before the log and kept
-- by drop_internal.sql: the install uses it from its first step.
create or replace function audit._lock_or_explain(p_rels regclass[], p_modes text[])
returns void
language plpgsql
set search_path = pg_catalog, pg_temp
as $$
declare
    v_timeout text := pg_catalog.current_setting('lock_timeout');
    v_deadline timestamptz := pg_catalog.clock_timestamp() + v_timeout::interval;
    v_pause float8 := 0.01;
    v_at int;
    v_rel regclass;
    v_mode text;
    v_holders text;
begin
    if coalesce(pg_catalog.cardinality(p_rels), 0) = 0 then
        return;
    end if;
    loop
        begin
            for v_i in 1 .. pg_catalog.cardinality(p_rels) loop
                v_at := v_i;
                begin
                    execute format('lock table %s in %s mode nowait', p_rels[v_i], p_modes[v_i]);
                exception when insufficient_privilege then
                    null;
                end;
            end loop;
            return;
        exception when lock_not_available then
            -- The block's locks are given back with it.
            null;
        end;
        exit when v_timeout <> '0' and pg_catalog.clock_timestamp() >= v_deadline;
        perform pg_catalog.pg_sleep(v_pause);
        v_pause := least(v_pause * 2, 0.1);
    end loop;

    v_rel := p_rels[v_at];
    v_mode := p_modes[v_at];
    -- The sessions that hold (or wait for) a lock on it that conflicts with the one wanted.
    select pg_catalog.string_agg(pg_catalog.format('pid %s (%s)', h.pid, pg_catalog.concat_ws(', ',
        a.usename, coalesce(a.state, 'state not visible')
        || coalesce(pg_catalog.format(' for %s s',
            pg_catalog.round(extract(epoch from pg_catalog.clock_timestamp() - a.state_change)::numeric, 1)), ''),
        case when not h.granted then 'waiting' end)), '; ' order by h.pid)
    into v_holders
    from (
        select l.pid, pg_catalog.bool_or(l.granted) as granted
        from pg_catalog.pg_locks as l
        inner join (values
            ('access share', '{AccessExclusiveLock}'::text []),
            ('row share', '{ExclusiveLock,AccessExclusiveLock}'),
            ('row exclusive', '{ShareLock,ShareRowExclusiveLock,ExclusiveLock,AccessExclusiveLock}'),
            ('share update exclusive',
                '{ShareUpdateExclusiveLock,ShareLock,ShareRowExclusiveLock,ExclusiveLock,AccessExclusiveLock}'),
            ('share', '{RowExclusiveLock,ShareUpdateExclusiveLock,ShareRowExclusiveLock,ExclusiveLock,'
                'AccessExclusiveLock}'),
            ('share row exclusive', '{RowExclusiveLock,ShareUpdateExclusiveLock,ShareLock,ShareRowExclusiveLock,'
                'ExclusiveLock,AccessExclusiveLock}'),
            ('exclusive', '{RowShareLock,RowExclusiveLock,ShareUpdateExclusiveLock,ShareLock,'
                'ShareRowExclusiveLock,ExclusiveLock,AccessExclusiveLock}'),
            ('access exclusive', '{AccessShareLock,RowShareLock,RowExclusiveLock,ShareUpdateExclusiveLock,'
                'ShareLock,ShareRowExclusiveLock,ExclusiveLock,AccessExclusiveLock}')
        ) as c (wanted, conflicts) on c.wanted = lower(v_mode) and l.mode = any(c.conflicts)
        where l.locktype = 'relation' and l.database = (
            select d.oid from pg_catalog.pg_database as d where d.datname = pg_catalog.current_database()
        )
            and l.relation = v_rel and l.pid <> pg_catalog.pg_backend_pid()
        group by l.pid
    ) as h
    left join pg_catalog.pg_stat_activity as a on a.pid = h.pid;

    raise exception using
        errcode = '55P03',
        message = pg_catalog.format(
            'audit: install could not lock %s %s in %s mode within %s (%s); nothing was changed',
            case (select c.relkind from pg_catalog.pg_class as c where c.oid = v_rel)
                when 'v' then 'view' when 'i' then 'index' else 'table' end,
            v_rel, v_mode, v_timeout,
            coalesce('held by ' || v_holders, 'another session holds it')),
        hint = 'Run install.sql again once that transaction has ended (pg_stat_activity shows it), '
            'or give it longer: psql -v lock_timeout=30s.';
end
$$;
