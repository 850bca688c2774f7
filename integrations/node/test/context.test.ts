// withAuditContext: the context reaches the log, rolled-back work leaves no row, a pooled
// connection's next user inherits nothing, and concurrent requests keep their own actors.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'drizzle-orm';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import type pg from 'pg';
import { setAuditContext, withAuditContext } from 'pg-audit-trail-node';
import { renameUser, suspendUser } from '../examples/context.js';
import { users } from '../examples/schema.js';
import { auditedUsers, logRows, maxLogId, newPool, noDsn } from './support.js';

describe('withAuditContext', { skip: noDsn }, () => {
  let pool: pg.Pool;
  before(async () => {
    pool = newPool();
    await auditedUsers(pool);
  });
  after(async () => { await pool?.end(); });

  async function newUser(email: string): Promise<number> {
    const res = await pool.query<{ id: number }>('insert into users (email) values ($1) returning id', [email]);
    return res.rows[0]!.id;
  }

  test('node-postgres pool: the documented example logs the moderator', async () => {
    const id = await newUser('ada@example.com');
    const since = await maxLogId(pool);
    assert.equal(await suspendUser(pool, 'mod@example.com', id), 1);
    const rows = await logRows(pool, 'id > $1', [since]);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.action, 'UPDATE');
    assert.equal(rows[0]!.record_id, String(id));
    assert.equal(rows[0]!.actor_email, 'mod@example.com');
    assert.equal(rows[0]!.actor_type, 'moderator');
    assert.deepEqual(rows[0]!.new_values!.status, 'suspended');
  });

  test('Drizzle: the documented example logs the actor, its id and the request', async () => {
    const db = drizzle(pool);
    const id = await newUser('bob@example.com');
    const since = await maxLogId(pool);
    await renameUser(db, { email: 'bob@example.com', id }, 'req-91ab', id, 'Bob B.');
    const rows = await logRows(pool, 'id > $1', [since]);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.actor_email, 'bob@example.com');
    assert.equal(rows[0]!.actor_id, String(id));
    assert.equal(rows[0]!.actor_type, 'user', 'no type given: the package says user');
    assert.deepEqual(rows[0]!.context, { request_id: 'req-91ab' });
    assert.equal(rows[0]!.migration_name, null);
  });

  test('every field of the context, through a pool client, and the value of fn comes back', async () => {
    const client = await pool.connect();
    try {
      const since = await maxLogId(pool);
      const id = await withAuditContext(client, {
        actorEmail: 'job@example.com', actorType: 'system', actorId: 42n, migration: '1768213263725_backfill',
        context: { request_id: 'r-1', nested: { ok: true }, quote: "it's" },
      }, async (c) => {
        const res = await c.query<{ id: number }>("insert into users (email) values ('carol@example.com') returning id");
        return res.rows[0]!.id;
      });
      assert.equal(typeof id, 'number');
      const [row] = await logRows(pool, 'id > $1', [since]);
      assert.equal(row!.action, 'INSERT');
      assert.equal(row!.actor_email, 'job@example.com');
      assert.equal(row!.actor_type, 'system');
      assert.equal(row!.actor_id, '42');
      assert.equal(row!.migration_name, '1768213263725_backfill');
      assert.deepEqual(row!.context, { request_id: 'r-1', nested: { ok: true }, quote: "it's" });
    } finally {
      client.release();
    }
  });

  test('a migration name alone makes the type migration', async () => {
    const since = await maxLogId(pool);
    await withAuditContext(pool, { migration: '1768213263725_apply-audit-triggers' }, async (c) => {
      await c.query("insert into users (email) values ('dan@example.com')");
    });
    const [row] = await logRows(pool, 'id > $1', [since]);
    assert.equal(row!.actor_type, 'migration');
    assert.equal(row!.actor_email, null);
    assert.equal(row!.migration_name, '1768213263725_apply-audit-triggers');
  });

  test('setAuditContext inside a Drizzle transaction of your own', async () => {
    const db = drizzle(pool);
    const since = await maxLogId(pool);
    await db.transaction(async (tx) => {
      await setAuditContext(tx, { actorEmail: 'eve@example.com', context: { request_id: 'r-2' } });
      await tx.insert(users).values({ email: 'eve@example.com' });
    });
    const [row] = await logRows(pool, 'id > $1', [since]);
    assert.equal(row!.actor_email, 'eve@example.com');
    assert.deepEqual(row!.context, { request_id: 'r-2' });
  });

  test('setAuditContext refuses a pool and a Drizzle database over one, and an empty actor e-mail', async () => {
    const since = await maxLogId(pool);
    await assert.rejects(setAuditContext(pool, { actorEmail: 'p@example.com' }), /not a pool/);
    await assert.rejects(setAuditContext(drizzle(pool), { actorEmail: 'p@example.com' }), /not a pool/);
    await assert.rejects(
      withAuditContext(pool, { actorEmail: '' }, async (c) => {
        await c.query("insert into users (email) values ('empty-actor@example.com')");
      }),
      /actorEmail must be a non-empty string or null, not ""/,
    );
    assert.equal(await maxLogId(pool), since, 'no log row');
    const left = await pool.query("select from users where email = 'empty-actor@example.com'");
    assert.equal(left.rowCount, 0, 'nothing written');
  });

  test('setAuditContext refuses a client outside a transaction and sets the context inside one', async () => {
    const client = await pool.connect();
    try {
      await assert.rejects(setAuditContext(client, { actorEmail: 'auto@example.com' }), /not inside a transaction/);
      await client.query('begin');
      await setAuditContext(client, { actorEmail: 'inside@example.com' });
      const { rows } = await client.query("select current_setting('app.actor_email', true) as email");
      assert.equal(rows[0].email, 'inside@example.com');
      await client.query('rollback');
    } finally {
      client.release();
    }
  });

  test('rollback leaves no row: node-postgres', async () => {
    const since = await maxLogId(pool);
    await assert.rejects(
      withAuditContext(pool, { actorEmail: 'x@example.com' }, async (c) => {
        await c.query("insert into users (email) values ('rolled-back-pg@example.com')");
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.equal(await maxLogId(pool), since, 'no log row');
    const left = await pool.query("select from users where email = 'rolled-back-pg@example.com'");
    assert.equal(left.rowCount, 0);
  });

  test('rollback leaves no row: Drizzle, by a throw and by tx.rollback()', async () => {
    const db = drizzle(pool);
    const since = await maxLogId(pool);
    await assert.rejects(withAuditContext(db, { actorEmail: 'x@example.com' }, async (tx) => {
      await tx.insert(users).values({ email: 'rolled-back-drizzle@example.com' });
      throw new Error('boom');
    }), /boom/);
    await assert.rejects(withAuditContext(db, { actorEmail: 'x@example.com' }, async (tx) => {
      await tx.insert(users).values({ email: 'rolled-back-drizzle@example.com' });
      tx.rollback();
    }), /[Rr]ollback/);
    assert.equal(await maxLogId(pool), since, 'no log row');
    const left = await pool.query("select from users where email = 'rolled-back-drizzle@example.com'");
    assert.equal(left.rowCount, 0);
  });

  test('bad context: an unknown actor type fails with 22023 and writes nothing; an array is refused', async () => {
    const since = await maxLogId(pool);
    let ran = false;
    await assert.rejects(
      withAuditContext(pool, { actorEmail: 'x@example.com', actorType: 'robot' }, async () => { ran = true; }),
      (err: { code?: string; message: string }) => err.code === '22023' && /robot/.test(err.message),
    );
    assert.equal(ran, false);
    await assert.rejects(
      withAuditContext(pool, { context: ['not', 'an', 'object'] as never }, async () => { ran = true; }),
      TypeError,
    );
    assert.equal(ran, false);
    assert.equal(await maxLogId(pool), since);
  });
});

// Type-level only (never called): fn gets Drizzle's transaction for a Drizzle database, and a
// PoolClient for a pool; tsc --noEmit checks these.
export async function fnTypes(db: NodePgDatabase, pool: pg.Pool): Promise<void> {
  await withAuditContext(db, {}, async (tx) => {
    await tx.select().from(users);
    // @ts-expect-error a Drizzle transaction is not a node-postgres client
    await tx.query('select 1');
  });
  await withAuditContext(pool, {}, async (client) => {
    await client.query('select 1');
    // @ts-expect-error a node-postgres client has no Drizzle query builder
    client.select();
  });
  // @ts-expect-error the context is an object of known fields
  await withAuditContext(pool, { actor: 'x' }, async () => {});
}

describe('pool reuse leaks nothing', { skip: noDsn }, () => {
  // One connection in the pool: the next user is sure to get the connection that had the context.
  let pool: pg.Pool;
  before(async () => {
    pool = newPool(undefined, 1);
    await auditedUsers(pool);
  });
  after(async () => { await pool?.end(); });

  const settings = `select pg_backend_pid() as pid,
      current_setting('app.actor_email', true) as email, current_setting('app.actor_type', true) as type,
      current_setting('app.actor_id', true) as id, current_setting('app.current_migration', true) as migration,
      current_setting('app.audit_context', true) as context`;
  const full = {
    actorEmail: 'leak@example.com', actorType: 'moderator', actorId: 'leaker', migration: '1768213263725_leak',
    context: { request_id: 'leak' },
  };

  async function nextUserLogsNoActor(pidBefore: number): Promise<void> {
    const after = await pool.query(settings);
    assert.equal(after.rows[0].pid, pidBefore, 'the same pooled connection');
    for (const key of ['email', 'type', 'id', 'migration', 'context']) {
      assert.ok([null, ''].includes(after.rows[0][key]), `${key} is unset, got ${after.rows[0][key]}`);
    }
    const since = await maxLogId(pool);
    await pool.query("insert into users (email) values ('next-user@example.com')");
    const [row] = await logRows(pool, 'id > $1', [since]);
    assert.equal(row!.actor_email, null);
    assert.equal(row!.actor_type, null);
    assert.equal(row!.actor_id, null);
    assert.equal(row!.migration_name, null);
    assert.equal(row!.context, null);
  }

  test('after a commit through node-postgres', async () => {
    const pid = await withAuditContext(pool, full, async (c) => {
      const inside = await c.query(settings);
      assert.equal(inside.rows[0].email, 'leak@example.com');
      await c.query("insert into users (email) values ('inside@example.com')");
      return inside.rows[0].pid as number;
    });
    await nextUserLogsNoActor(pid);
  });

  test('after a rollback through node-postgres', async () => {
    let pid = 0;
    await assert.rejects(withAuditContext(pool, full, async (c) => {
      pid = (await c.query(settings)).rows[0].pid;
      throw new Error('boom');
    }));
    await nextUserLogsNoActor(pid);
  });

  test('after a commit and a rollback through Drizzle', async () => {
    const db = drizzle(pool);
    const pid = await withAuditContext(db, full, async (tx) => {
      await tx.insert(users).values({ email: 'inside-drizzle@example.com' });
      const res = await tx.execute(sql`select pg_backend_pid() as pid`);
      return res.rows[0]!.pid as number;
    });
    await nextUserLogsNoActor(pid);
    await assert.rejects(withAuditContext(db, full, async () => { throw new Error('boom'); }));
    await nextUserLogsNoActor(pid);
  });
});

describe('concurrent requests keep their own actors', { skip: noDsn }, () => {
  let pool: pg.Pool;
  before(async () => {
    pool = newPool(undefined, 5);
    await auditedUsers(pool);
  });
  after(async () => { await pool?.end(); });

  test('30 interleaved requests on 5 connections, through node-postgres and Drizzle', async () => {
    const db = drizzle(pool);
    const since = await maxLogId(pool);
    const requests = Array.from({ length: 30 }, (_, i) => {
      const email = `actor-${i}@example.com`;
      const ctx = { actorEmail: email, actorId: String(i), context: { request_id: `req-${i}` } };
      // Each request sleeps between its statements so that they interleave on the pool.
      const nap = `select pg_sleep(${(i % 5) * 0.01})`;
      if (i % 2 === 0) {
        return withAuditContext(pool, ctx, async (c) => {
          await c.query(nap);
          const res = await c.query<{ id: number }>('insert into users (email) values ($1) returning id', [email]);
          await c.query(nap);
          await c.query('update users set name = $1 where id = $2', [`name ${i}`, res.rows[0]!.id]);
        });
      }
      return withAuditContext(db, ctx, async (tx) => {
        await tx.execute(sql.raw(nap));
        const [row] = await tx.insert(users).values({ email }).returning({ id: users.id });
        await tx.execute(sql.raw(nap));
        await tx.execute(sql`update users set name = ${`name ${i}`} where id = ${row!.id}`);
      });
    });
    await Promise.all(requests);
    const rows = await logRows(pool, 'id > $1', [since]);
    assert.equal(rows.length, 60);
    for (const row of rows) {
      const email = row.new_values!.email as string;
      const i = Number(/actor-(\d+)@/.exec(email)![1]);
      assert.equal(row.actor_email, email, `log row ${row.id} (${row.action}) has its own request's actor`);
      assert.equal(row.actor_id, String(i));
      assert.deepEqual(row.context, { request_id: `req-${i}` });
    }
  });
});
