// One way to send a parameterised statement, whether the caller holds a node-postgres pool or
// client, or a Drizzle database or transaction. The statement text is always this package's own
// constant SQL; every value travels as a bind parameter.
import { sql, type SQL } from 'drizzle-orm';
import { getTableConfig, type PgTable } from 'drizzle-orm/pg-core';
import { escapeIdentifier } from 'pg';

/** Anything with node-postgres' `query(text, values)`: a `pg.Pool`, `pg.Client` or `pg.PoolClient`. */
export interface PgQueryable {
  query(text: string, values?: unknown[]): Promise<{ rows: any[] }>;
}

/** A Drizzle database or transaction (`drizzle(pool)`, or the `tx` of `db.transaction`). */
export interface DrizzleExecutor {
  execute(query: SQL): PromiseLike<unknown>;
}

export type Executor = PgQueryable | DrizzleExecutor;

/** A table: its name as PostgreSQL reads a regclass (`'users'`, `'public.users'`), or a Drizzle table. */
export type TableRef = string | PgTable;

export function isDrizzle(db: unknown): db is DrizzleExecutor {
  return typeof (db as DrizzleExecutor | null)?.execute === 'function'
    && typeof (db as PgQueryable).query !== 'function';
}

/** `$1`, `$2`, ... of `text` become Drizzle parameters; the text between them stays as written. */
export function drizzleSql(text: string, values: readonly unknown[]): SQL {
  const chunks: SQL[] = [];
  let last = 0;
  for (const m of text.matchAll(/\$(\d+)/g)) {
    const n = Number(m[1]);
    if (n < 1 || n > values.length) throw new RangeError(`no value for $${n} in: ${text}`);
    chunks.push(sql.raw(text.slice(last, m.index)), sql`${values[n - 1]}`);
    last = m.index + m[0].length;
  }
  chunks.push(sql.raw(text.slice(last)));
  return sql.join(chunks);
}

/** Runs one statement and returns its rows. */
export async function run<R = Record<string, unknown>>(
  db: Executor,
  text: string,
  values: readonly unknown[] = [],
): Promise<R[]> {
  if (isDrizzle(db)) {
    const res = (await db.execute(drizzleSql(text, values))) as { rows?: R[] } | R[];
    // node-postgres drivers return pg's result ({ rows }); postgres.js returns the rows themselves.
    return Array.isArray(res) ? res : (res.rows ?? []);
  }
  return (await db.query(text, [...values])).rows as R[];
}

/** The table as regclass text: a string is taken as written; a Drizzle table is quoted. */
export function tableName(table: TableRef): string {
  if (typeof table === 'string') return table;
  const { name, schema } = getTableConfig(table);
  return schema ? `${escapeIdentifier(schema)}.${escapeIdentifier(name)}` : escapeIdentifier(name);
}
