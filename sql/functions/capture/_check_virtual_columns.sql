-- Refuses a table whose virtual generated column (PostgreSQL 18) calls anything but PostgreSQL's
-- own functions and operators, or casts to a type another role made (a domain's check): capture
-- computes virtual columns, which transition tables leave out, and runs as the package owner, so
-- it must not run code that the table's owner (or anyone but PostgreSQL) defined. pg_depend
-- records an expression's use of every object that is not built in.
create or replace function audit._check_virtual_columns(p_relid oid)
returns void
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
    v_col text;
    v_what text;
begin
    select a.attname::text, pg_catalog.pg_describe_object(d.refclassid, d.refobjid, d.refobjsubid)
    into v_col, v_what
    from pg_catalog.pg_attribute as a
    inner join pg_catalog.pg_attrdef as ad on ad.adrelid = a.attrelid and ad.adnum = a.attnum
    inner join pg_catalog.pg_depend as d
        on d.classid = 'pg_catalog.pg_attrdef'::regclass and d.objid = ad.oid
    where a.attrelid = p_relid and a.attgenerated = 'v' and not a.attisdropped
        and d.refclassid not in ('pg_catalog.pg_class'::regclass, 'pg_catalog.pg_collation'::regclass)
    limit 1;
    if found then
        raise exception using
            errcode = '0A000',
            message = format('audit: virtual generated column %s of table %s uses %s, which capture will not '
                'run as the audit trail''s owner', quote_ident(v_col), p_relid::regclass, v_what),
            hint = 'Make it a STORED generated column (computed by the writer), or use only built-in '
                'functions and operators in its expression.';
    end if;
end
$$;
