-- SQL expression giving the jsonb of value p_expr of type p_typid without calling code that any
-- role but PostgreSQL itself defines. A trusted type (audit._type_is_trusted) takes to_jsonb. Any
-- other value is converted through its type's output function (format's %s, never a cast): an
-- enum, range or extension type becomes its text, an array of them an array of texts, and a
-- composite of a user's type its text too (record_out reads the type's attributes as they are
-- now, which ALTER TYPE may change while a table uses it). NULL stays SQL NULL.
create or replace function audit._json_expr(p_expr text, p_typid oid)
returns text
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
    v_base oid := p_typid;
    v_type pg_catalog.pg_type;
begin
    if audit._type_is_trusted(p_typid) then
        return format('pg_catalog.to_jsonb(%s)', p_expr);
    end if;
    loop
        select t.* into v_type from pg_catalog.pg_type as t where t.oid = v_base;
        exit when v_type.typtype <> 'd';
        v_base := v_type.typbasetype;
    end loop;
    if v_type.typcategory = 'A' and v_type.typelem <> 0 then
        if (select e.typtype not in ('c', 'd') and e.typcategory <> 'A'
            from pg_catalog.pg_type as e where e.oid = v_type.typelem) then
            -- Elements of an untrusted scalar type: the array's text, read back as text[].
            return format('pg_catalog.to_jsonb((%s)::pg_catalog.text[])', audit._text_expr(p_expr));
        end if;
        -- Arrays of composites or domains: the array's text as one JSON string.
        return format('pg_catalog.to_jsonb(%s)', audit._text_expr(p_expr));
    end if;
    return format('pg_catalog.to_jsonb(%s)', audit._text_expr(p_expr));
end
$$;
