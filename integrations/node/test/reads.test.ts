// The reads: audit.logs through Drizzle's query builder, and stateAt, history, tableAt.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { and, eq, sql } from 'drizzle-orm';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import type pg from 'pg';
import { auditLogs, history, stateAt, tableAt, withAuditContext, type AuditLog } from 'pg-audit-trail-node';
import { recentChangesBy, suspendedUsersAt, userAsOf, userHistory } from '../examples/reads.js';
import { users } from '../examples/schema.js';
import { auditedUsers, newPool, noDsn } from './support.js';

describe('reads', { skip: noDsn }, () => {
  let pool: pg.Pool;
  let db: NodePgDatabase;
  // Ada: created by herself, renamed and suspended by a moderator in one transaction, then deleted.
  let ada = 0;
  let grace = 0;
  const moments: Record<string, string> = {};

  before(async () => {
    pool = newPool();
    db = drizzle(pool);
    await auditedUsers(pool);
    await pool.query(`create table users_organizations (
      user_id integer, organization_id integer, role text not null, primary key (user_id, organization_id))`);
    await pool.query("select audit.enable('users_organizations')");

    moments.beforeAll = (await pool.query("select to_char(clock_timestamp() at time zone 'UTC', "
      + `'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as ts`)).rows[0].ts;
    await withAuditContext(db, { actorEmail: 'ada@example.com' }, async (tx) => {
      [{ id: ada }] = (await tx.insert(users).values({ email: 'ada@example.com', name: 'Ada', encryptedPassword: 'x1' })
        .returning({ id: users.id })) as [{ id: number }];
      [{ id: grace }] = (await tx.insert(users).values({ email: 'grace@example.com', name: 'Grace' })
        .returning({ id: users.id })) as [{ id: number }];
      await tx.execute(sql`insert into users_organizations values (${ada}, 7, 'owner'), (${grace}, 7, 'member')`);
    });
    await withAuditContext(pool, { actorEmail: 'mod@example.com', actorType: 'moderator' }, async (c) => {
      await c.query("update users set name = 'Ada L.' where id = $1", [ada]);
      await c.query("update users set status = 'suspended' where id = $1", [ada]);
      await c.query("update users_organizations set role = 'member' where user_id = $1", [ada]);
    });
    await withAuditContext(pool, { actorEmail: 'mod@example.com', actorType: 'moderator' }, async (c) => {
      await c.query('delete from users_organizations where user_id = $1', [ada]);
      await c.query('delete from users where id = $1', [ada]);
    });
    const versions = await history(pool, 'users', ada);
    Object.assign(moments, {
      created: versions[0]!.validFrom, renamed: versions[1]!.validFrom, suspended: versions[2]!.validFrom,
      deleted: versions[3]!.validFrom,
    });
  });
  after(async () => { await pool?.end(); });

  test('db.select().from(auditLogs) type-checks and maps every column', async () => {
    const rows: AuditLog[] = await db.select().from(auditLogs)
      .where(and(eq(auditLogs.tableName, 'users'), eq(auditLogs.recordId, String(ada))))
      .orderBy(auditLogs.id);
    assert.deepEqual(rows.map((r) => r.action), ['INSERT', 'UPDATE', 'UPDATE', 'DELETE']);
    const [ins, rename] = rows as [AuditLog, AuditLog];
    const id: number = ins.id;
    const createdAt: string = ins.createdAt;
    const newValues: Record<string, unknown> | null = ins.newValues;
    assert.equal(typeof id, 'number');
    // @ts-expect-error createdAt is text, not a Date: the row's types are Drizzle's, not any
    const notADate: Date = ins.createdAt;
    void notADate;
    assert.match(createdAt, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+/);
    assert.equal(newValues!.encrypted_password, '[redacted]');
    assert.equal(typeof ins.transactionId, 'string');
    assert.equal(ins.schemaName, 'public');
    assert.equal(ins.actorEmail, 'ada@example.com');
    assert.equal(ins.actorType, 'user');
    assert.equal(ins.dbUser, 'audit_owner');
    assert.deepEqual(rename.changedFields, ['name']);
    assert.deepEqual(rename.oldValues, { name: 'Ada' });
    assert.equal(rename.actorType, 'moderator');
  });

  test('the documented recentChangesBy', async () => {
    const rows = await recentChangesBy(db, 'mod@example.com');
    assert.equal(rows.length, 5); // three updates and two deletes
    assert.ok(rows.every((r) => r.actorEmail === 'mod@example.com'));
    assert.ok(rows[0]!.id > rows[4]!.id, 'newest first');
  });

  test('history, through Drizzle and through node-postgres alike', async () => {
    const viaDrizzle = await userHistory(db, ada);
    const viaPg = await history(pool, 'users', ada);
    assert.deepEqual(viaDrizzle, viaPg);
    assert.deepEqual(viaPg.map((v) => v.action), ['INSERT', 'UPDATE', 'UPDATE', 'DELETE']);
    assert.equal(viaPg[0]!.state!.name, 'Ada');
    assert.equal(viaPg[1]!.state!.name, 'Ada L.');
    assert.equal(viaPg[2]!.state!.status, 'suspended');
    assert.equal(viaPg[3]!.validTo, null);
    for (let i = 0; i < 3; i++) assert.equal(viaPg[i]!.validTo, viaPg[i + 1]!.validFrom);
    assert.match(viaPg[0]!.validFrom, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    assert.equal(viaPg[1]!.actorType, 'moderator');
    assert.deepEqual(viaPg[2]!.changedFields, ['status']);
    assert.equal(viaPg[1]!.transactionId, viaPg[2]!.transactionId);
  });

  test('stateAt, exact to the microsecond: each version at its own validFrom', async () => {
    assert.equal(await userAsOf(db, ada, moments.beforeAll!), null, 'before the INSERT');
    // The rename and the suspension are one transaction, microseconds apart.
    assert.deepEqual(await userAsOf(db, ada, moments.renamed!),
      { ...(await stateAt(pool, 'users', ada, moments.renamed!))!.state });
    const renamed = await stateAt<{ name: string; status: string }>(pool, users, ada, moments.renamed!);
    assert.equal(renamed!.state.name, 'Ada L.');
    assert.equal(renamed!.state.status, 'active');
    assert.equal(renamed!.action, 'UPDATE');
    assert.equal(renamed!.actorEmail, 'mod@example.com');
    assert.equal(renamed!.validFrom, moments.renamed);
    const suspended = await stateAt<{ status: string }>(db, users, String(ada), moments.suspended!);
    assert.equal(suspended!.state.status, 'suspended');
    assert.equal(await stateAt(pool, users, ada, moments.deleted!), null, 'deleted');
    assert.equal((await stateAt(pool, users, ada, new Date(Date.parse(moments.deleted!) - 1)))?.state.status,
      'suspended', 'a Date works too');
  });

  test('stateAt with a composite key, and bad input', async () => {
    const key = { user_id: ada, organization_id: 7 };
    const owner = await stateAt(db, 'users_organizations', key, moments.renamed!);
    assert.equal(owner!.state.role, 'owner');
    assert.equal(owner!.recordId, JSON.stringify({ user_id: ada, organization_id: 7 }).replace(/,/g, ', ')
      .replace(/:/g, ': '));
    const big = await stateAt(db, 'users_organizations', { user_id: BigInt(ada), organization_id: 7n }, moments.renamed!);
    assert.equal(big!.recordId, owner!.recordId, 'bigint columns of a composite key');
    await assert.rejects(stateAt(pool, users, 2 ** 53 + 1, moments.created!), /past Number.MAX_SAFE_INTEGER/);
    await assert.rejects(stateAt(pool, 'users_organizations', { user_id: 2 ** 60, organization_id: 7 }, moments.created!),
      /past Number.MAX_SAFE_INTEGER/);
    await assert.rejects(stateAt(pool, 'users_organizations', ada, moments.created!),
      (err: { code?: string }) => err.code === '22023', 'a composite key needs an object');
    await assert.rejects(stateAt(pool, 'no_such_table', 1, moments.created!),
      (err: { code?: string }) => err.code === '42P01');
  });

  test('tableAt, through Drizzle and node-postgres', async () => {
    const byId = (rows: { recordId: string }[]) => rows.map((r) => r.recordId).sort();
    assert.deepEqual(await tableAt(db, users, moments.beforeAll!), []);
    assert.deepEqual(byId(await tableAt(pool, 'users', moments.suspended!)), [String(ada), String(grace)].sort());
    const now = await tableAt<{ name: string }>(db, users, new Date());
    assert.deepEqual(now.map((r) => r.state.name), ['Grace']);
  });

  test('tableAt with a filter', async () => {
    const suspended = await suspendedUsersAt(db, moments.suspended!);
    assert.deepEqual(suspended.map((r) => r.recordId), [String(ada)]);
    assert.deepEqual(await suspendedUsersAt(db, moments.renamed!), []);
    const members = await tableAt(pool, 'users_organizations', moments.renamed!, { organization_id: 7 });
    assert.equal(members.length, 2);
    const adas = await tableAt(pool, 'users_organizations', moments.renamed!, { user_id: ada });
    assert.deepEqual(adas.map((r) => r.state.role), ['owner']);
  });
});
