-- Refuses to generate capture for audited table p_cfg while a column its options name (key,
-- redacted, ignored) may no longer be the column audit.enable saw. A column is followed by its
-- attribute number, which a new column never takes over: renaming secret and adding a new secret
-- does not move the redaction to the new column and the secret into the clear. A restored
-- database numbers its columns anew; there the columns are the same if they still stand, by name,
-- as audit.enable saw them. In any other case capture fails until audit.enable runs again.
create or replace function audit._check_config_columns(p_cfg audit.config)
returns void
language plpgsql stable
set search_path = pg_catalog, pg_temp
as $$
declare
    v_bad text;
    v_option text;
    v_now text [] := (select pg_catalog.array_agg(c.name order by c.pos) from audit._columns(p_cfg.relid) as c);
begin
    select o.col, o.option into v_bad, v_option
    from (
        select k, 'key_columns' from pg_catalog.unnest(p_cfg.key_columns) as k
        union all
        select r, 'redact_columns' from pg_catalog.unnest(p_cfg.redact_columns) as r
        union all
        select i, 'ignore_columns' from pg_catalog.unnest(p_cfg.ignore_columns) as i
    ) as o (col, option)
    cross join lateral (
        select p_cfg.column_attnums[pg_catalog.array_position(p_cfg.columns, o.col)] as attnum
    ) as was
    left join pg_catalog.pg_attribute as a
        on a.attrelid = p_cfg.relid and a.attname = o.col and a.attnum > 0 and not a.attisdropped
    where case
        -- Gone: a key must be there; a redacted column must not have been renamed (its value
        -- would be stored in clear under the new name); an ignored one may go.
        when a.attnum is null then o.option = 'key_columns' or (o.option = 'redact_columns' and exists (
            select from pg_catalog.pg_attribute as r
            where r.attrelid = p_cfg.relid and r.attnum = was.attnum and not r.attisdropped
        ))
        -- There, but maybe another column under the same name.
        -- (A restored table numbers its columns anew: there the columns audit.enable saw still
        -- stand first, in order, by name, with only new ones after them.)
        else a.attnum is distinct from was.attnum
            and v_now[1:pg_catalog.cardinality(p_cfg.columns)] is distinct from p_cfg.columns
    end
    limit 1;
    if found then
        raise exception using
            errcode = '42703',
            message = format('audit: %s of table %s names column %s, which is missing or is not the column '
                'audit.enable saw (renamed, or dropped and added again)', v_option, p_cfg.relid,
                quote_ident(v_bad)),
            hint = format('Run SELECT audit.enable(%L, ...) again with the options it should have now.',
                p_cfg.relid::text);
    end if;
end
$$;
