-- Whether every value of type p_typid turns into jsonb and text by built-in code alone: its base
-- type (through domains) and its array elements come with PostgreSQL.
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
    -- Any other type, composites included: ALTER TYPE ... ADD ATTRIBUTE may give a composite an
    -- attribute of any type while a table uses it, without telling the table's capture code.
    return false;
end
$$;
