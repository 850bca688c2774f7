-- SQL expression giving the text of value p_expr through its type's output function (format's %s),
-- never through a cast that another role may have defined; NULL stays NULL (format would give '').
create or replace function audit._text_expr(p_expr text)
returns text
language sql immutable
set search_path = pg_catalog, pg_temp
as $$
    select format(
        'case when pg_catalog.num_nulls(%1$s) operator(pg_catalog.=) 0 then pg_catalog.format(''%%s'', %1$s) end',
        p_expr
    )
$$;
