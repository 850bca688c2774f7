-- Whether every value of type p_typid turns into jsonb and text by built-in code alone: its base
-- type (through domains), its array elements and composite attributes all come with PostgreSQL.
-- For any other type, to_jsonb looks up a cast to json and ::text a cast to text, which the type's
-- owner may define: capture, running as the package owner, must not call them.
create or replace function audit._type_is_trusted(p_typid oid)
returns boolean
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
    v_type pg_catalog.pg_type;
    v_base oid := p_typid;
begin
    loop
        select t.* into v_type from pg_catalog.pg_type as t where t.oid = v_base;
        exit when not found or v_type.typtype <> 'd';
        v_base := v_type.typbasetype;
    end loop;
    -- Built in: created before the first user object (initdb's oids end below 16384).
    if v_base < 16384 then
        return true;
    end if;
    if v_type.typcategory = 'A' and v_type.typelem <> 0 then
        return audit._type_is_trusted(v_type.typelem);
    end if;
    if v_type.typtype = 'c' then
        return coalesce((
            select pg_catalog.bool_and(audit._type_is_trusted(a.atttypid))
            from pg_catalog.pg_attribute as a
            where a.attrelid = v_type.typrelid and a.attnum > 0 and not a.attisdropped
        ), true);
    end if;
    return false;
end
$$;
