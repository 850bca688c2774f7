-- The table whose row type is p_type; raises 42809 if p_type is not a table's row type.
create or replace function audit._table_of_rowtype(p_type regtype, p_caller text)
returns regclass
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
    v regclass;
begin
    select t.typrelid::regclass into v
    from pg_catalog.pg_type as t
    inner join pg_catalog.pg_class as c on c.oid = t.typrelid
    where t.oid = p_type and c.relkind in ('r', 'p');
    if v is null then
        raise exception using
            errcode = '42809',
            message = format('%s: %s is not the row type of a table', p_caller, p_type),
            hint = 'Pass NULL::your_table as the first argument.';
    end if;
    return v;
end
$$;
