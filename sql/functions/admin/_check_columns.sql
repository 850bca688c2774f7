-- Raises 42703 naming the table, the option and the column if any of p_cols is not a column of p_relid.
create or replace function audit._check_columns(p_relid oid, p_option text, p_cols text[])
returns void
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
    v_bad text;
begin
    select c into v_bad
    from pg_catalog.unnest(p_cols) as c
    where c is null or c not in (select a.name from audit._columns(p_relid) as a)
    limit 1;
    if found then
        raise exception using
            errcode = '42703',
            message = format('audit: %s names column %s, which table %s does not have',
                p_option, coalesce(quote_ident(v_bad), 'NULL'), p_relid::regclass);
    end if;
end
$$;
