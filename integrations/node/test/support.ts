// What the node tests share: the databases the Python harness made for them (see
// tests/test_node_integration.py), pools on them, and a fresh audited users table.
import pg from 'pg';
import { usersDdl } from '../examples/schema.js';

/** A database with the package installed, as its owner. */
export const dsn = process.env.AUDIT_NODE_DSN;
/** Databases without the package, owned by the same role: for the migrations. */
export const emptyDsn = process.env.AUDIT_NODE_EMPTY_DSN;
export const upgradeDsn = process.env.AUDIT_NODE_UPGRADE_DSN;
/** The package version of the working tree, and the oldest frozen release older than it. */
export const workingVersion = process.env.AUDIT_NODE_WORKING_VERSION;
export const oldRelease = process.env.AUDIT_NODE_OLD_RELEASE;

export const noDsn = dsn ? false : 'AUDIT_NODE_DSN is not set: run these through tests/test_node_integration.py';

export function newPool(connectionString: string | undefined = dsn, max = 4): pg.Pool {
  if (!connectionString) throw new Error('no DSN');
  const pool = new pg.Pool({ connectionString, max });
  pool.on('error', () => {}); // an idle client's error must not crash the test process
  return pool;
}

/** Creates the examples' users table in `pool`'s database and switches auditing on. */
export async function auditedUsers(pool: pg.Pool): Promise<void> {
  await pool.query('drop table if exists users');
  await pool.query(usersDdl);
  await pool.query(
    "select audit.enable('users', ignore_columns => array['updated_at', 'sign_in_count'], "
    + "redact_columns => array['encrypted_password'])",
  );
}

export interface LogRow {
  id: string;
  action: string;
  record_id: string;
  actor_email: string | null;
  actor_type: string | null;
  actor_id: string | null;
  migration_name: string | null;
  context: Record<string, unknown> | null;
  new_values: Record<string, unknown> | null;
  old_values: Record<string, unknown> | null;
}

export async function logRows(pool: pg.Pool, where = 'true', values: unknown[] = []): Promise<LogRow[]> {
  const res = await pool.query<LogRow>(
    `select id, action, record_id, actor_email, actor_type, actor_id, migration_name, context, new_values, old_values
     from audit.logs where table_name = 'users' and (${where}) order by id`,
    values,
  );
  return res.rows;
}

export async function maxLogId(pool: pg.Pool): Promise<number> {
  const res = await pool.query<{ m: string }>('select coalesce(max(id), 0) as m from audit.logs');
  return Number(res.rows[0]!.m);
}
