-- The columns of audited table p_cfg whose values its lookup indexes hold (see
-- audit._sync_lookup_indexes): those named in lookup_columns and, for a composite key, every key
-- column, so that "the memberships of user 98" needs no option. A filter on any of them finds its
-- candidate records through an index; any other filter reads the table's whole log.
create or replace function audit._lookup_columns(p_cfg audit.config)
returns text[]
language sql immutable
set search_path = pg_catalog, pg_temp
as $$
    select coalesce(pg_catalog.array_agg(distinct c order by c), '{}'::text [])
    from pg_catalog.unnest(
        p_cfg.lookup_columns
        || case when pg_catalog.cardinality(p_cfg.key_columns) > 1 then p_cfg.key_columns else '{}'::text [] end
    ) as c
$$;
