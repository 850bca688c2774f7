// Who and why, for the changes of one transaction: audit.set_actor, audit.set_migration and
// app.audit_context, all transaction-local, so that nothing is left on a pooled connection.
import type { ClientBase, Pool, PoolClient } from 'pg';
import { isDrizzle, run, type DrizzleExecutor, type Executor } from './executor.js';

export interface AuditContext {
  /** app.actor_email */
  actorEmail?: string | null;
  /**
   * app.actor_type: a row of audit.actor_types ('user', 'moderator', 'system', 'migration', or a
   * site's own). Left out, the package decides: 'migration' when a migration is named, else 'user'.
   */
  actorType?: string | null;
  /** app.actor_id (a number is sent as its text) */
  actorId?: string | number | bigint | null;
  /** app.current_migration, e.g. '1768213263725_apply-audit-triggers' */
  migration?: string | null;
  /** app.audit_context: a JSON object, e.g. { request_id: 'r-42' } */
  context?: Record<string, unknown> | null;
}

/** A Drizzle database, or a Drizzle transaction (then a savepoint is used). */
export interface DrizzleTransactional<Tx extends DrizzleExecutor> extends DrizzleExecutor {
  transaction<R>(fn: (tx: Tx) => Promise<R>, ...config: any[]): Promise<R>;
}

function checkContext(ctx: AuditContext): void {
  if (ctx === null || typeof ctx !== 'object') throw new TypeError('audit context must be an object');
  for (const field of ['actorEmail', 'actorType', 'migration'] as const) {
    const v = ctx[field];
    if (v !== undefined && v !== null && (typeof v !== 'string' || v === '')) {
      throw new TypeError(`audit context: ${field} must be a non-empty string or null, not ${JSON.stringify(v)}`);
    }
  }
  const c = ctx.context;
  if (c !== undefined && c !== null && (typeof c !== 'object' || Array.isArray(c))) {
    throw new TypeError(`audit context: context must be a JSON object, not ${JSON.stringify(c)}`);
  }
}

/**
 * Sets the context for the rest of the current transaction. Call it inside a transaction (a Drizzle
 * `tx`, or a client after `begin`). A `pg.Pool`, or a Drizzle database over one, is refused: each of
 * its statements may take another connection; so is a connection outside a transaction
 * (autocommit), where the settings would end with the statement that sets them. withAuditContext
 * calls it for you.
 */
export async function setAuditContext(db: Executor, ctx: AuditContext): Promise<void> {
  checkContext(ctx);
  if (isPool(db) || (isDrizzle(db) && typeof (db as { rollback?: unknown }).rollback !== 'function'
      && isPool((db as { $client?: unknown }).$client))) {
    throw new TypeError('setAuditContext: needs one transaction\'s connection (the tx of db.transaction, or a '
      + 'client after begin), not a pool, whose next statement may run on another connection: '
      + 'use withAuditContext(pool or db, ctx, fn)');
  }
  // A statement that began its own transaction started when the transaction did; after a begin,
  // later. (The check costs one round trip; withAuditContext, which began the transaction, skips it.)
  const [row] = await run(db, 'select pg_catalog.statement_timestamp() = pg_catalog.transaction_timestamp() as outside', []);
  if ((row as { outside?: unknown } | undefined)?.outside === true) {
    throw new TypeError('setAuditContext: the connection is not inside a transaction (autocommit), so the '
      + 'settings would end with this statement: call it after begin, or use withAuditContext');
  }
  await applyContext(db, ctx);
}

/** The settings of ctx, on a connection known to be inside a transaction. */
async function applyContext(db: Executor, ctx: AuditContext): Promise<void> {
  const { actorEmail, actorType, actorId, migration, context } = ctx;
  if (actorEmail != null || actorType != null || actorId != null) {
    // A NULL type lets the package choose ('migration' with a migration, else 'user').
    await run(db, 'select audit.set_actor($1, $2, $3)', [
      actorEmail ?? null,
      actorType ?? null,
      actorId == null ? null : String(actorId),
    ]);
  }
  if (migration != null) {
    await run(db, 'select audit.set_migration($1)', [migration]);
  }
  if (context != null) {
    await run(db, "select pg_catalog.set_config('app.audit_context', $1, true)", [JSON.stringify(context)]);
  }
}

function isPool(db: unknown): db is Pool {
  const p = db as Pool | undefined;
  return typeof p?.connect === 'function' && typeof p.totalCount === 'number' && typeof p.idleCount === 'number';
}

async function inTransaction<C extends ClientBase, T>(
  client: C,
  ctx: AuditContext,
  fn: (client: C) => Promise<T>,
  onBroken: (err: Error) => void,
): Promise<T> {
  await client.query('begin');
  try {
    await applyContext(client, ctx);
    const result = await fn(client);
    await client.query('commit');
    return result;
  } catch (err) {
    try {
      await client.query('rollback');
    } catch (rollbackErr) {
      // The connection is unusable or in an unknown state: it must not serve anyone else.
      onBroken(rollbackErr as Error);
    }
    throw err;
  }
}

/**
 * Runs `fn` in one transaction whose changes are logged with `ctx`. The transaction commits when
 * `fn` resolves and rolls back when it throws (then nothing of it is logged either).
 *
 * - a `pg.Pool`: one client is taken for the transaction and released after it;
 * - a `pg.Client` or `pg.PoolClient` (not inside a transaction of its own): used as it is;
 * - a Drizzle database (`drizzle(pool)`): `db.transaction`, and `fn` gets its `tx`.
 *
 * The settings are transaction-local: once the transaction ends, the connection's next user sees
 * none of them (they read '' there, which the package treats as unset).
 */
export function withAuditContext<T>(pool: Pool, ctx: AuditContext, fn: (client: PoolClient) => Promise<T>): Promise<T>;
export function withAuditContext<C extends ClientBase, T>(client: C, ctx: AuditContext, fn: (client: C) => Promise<T>): Promise<T>;
export function withAuditContext<Tx extends DrizzleExecutor, T>(
  db: DrizzleTransactional<Tx>,
  ctx: AuditContext,
  fn: (tx: Tx) => Promise<T>,
): Promise<T>;
export async function withAuditContext(db: any, ctx: AuditContext, fn: (c: any) => Promise<unknown>): Promise<unknown> {
  checkContext(ctx);
  if (isDrizzle(db) && typeof (db as { transaction?: unknown }).transaction === 'function') {
    return (db as DrizzleTransactional<DrizzleExecutor>).transaction(async (tx) => {
      await applyContext(tx, ctx);
      return fn(tx);
    });
  }
  if (isPool(db)) {
    const client = await db.connect();
    let broken: Error | undefined;
    try {
      return await inTransaction(client, ctx, fn, (err) => { broken = err; });
    } finally {
      client.release(broken);
    }
  }
  if (typeof db?.query === 'function') {
    return inTransaction(db as ClientBase, ctx, fn, () => {});
  }
  throw new TypeError('withAuditContext: expected a pg.Pool, a pg.Client or PoolClient, or a Drizzle database');
}
