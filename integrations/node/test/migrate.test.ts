// The node-pg-migrate helpers: the documented migration up and down on a database without the
// package, an upgrade of an older release in place, and the install script as plain SQL.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runner, type MigrationBuilder, type RunnerOption } from 'node-pg-migrate';
import pg from 'pg';
import { bundleInstallSql, defaultInstallSql, history, installAuditTrail, setAuditMigration, withAuditContext } from 'pg-audit-trail-node';
import { usersDdl } from '../examples/schema.js';
import { emptyDsn, newPool, oldRelease, upgradeDsn, workingVersion } from './support.js';

const MIGRATIONS = fileURLToPath(new URL('../examples/migrations', import.meta.url));
const NAME = '1768213263725_apply-audit-triggers';

function migrate(databaseUrl: string, direction: 'up' | 'down', extra: Partial<RunnerOption> = {}) {
  return runner({
    databaseUrl, dir: MIGRATIONS, direction, migrationsTable: 'pgmigrations', count: direction === 'down' ? 1 : Infinity,
    log: () => {}, ...extra,
  } as RunnerOption);
}

async function seedUsers(pool: pg.Pool): Promise<number[]> {
  await pool.query(usersDdl);
  const res = await pool.query<{ id: number }>(
    "insert into users (email, encrypted_password) values ('ada@example.com', 'secret'), ('grace@example.com', null) returning id");
  return res.rows.map((r) => r.id);
}

describe('bundleInstallSql', () => {
  test('sql/install.sql as one plain script, without its begin/commit', () => {
    const text = bundleInstallSql();
    assert.equal(defaultInstallSql.endsWith('/sql/install.sql'), true);
    assert.ok(!/^[ \t]*\\/m.test(text), 'no psql meta-command is left');
    assert.ok(!/^(begin|commit)[ \t]*;[ \t]*$/im.test(text), 'no top-level begin/commit');
    assert.match(text, /create or replace function audit\.enable\(/);
    assert.match(text, /create or replace function audit\.set_migration\(/);
  });

  test('refuses what it cannot run', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pg-audit-trail-node-'));
    writeFileSync(join(dir, 'meta.sql'), 'begin;\n\\gexec\ncommit;\n');
    assert.throws(() => bundleInstallSql(join(dir, 'meta.sql')), /meta-command not supported.*\\gexec/);
    // A psql-only \if block goes whole, as in the extension script.
    writeFileSync(join(dir, 'if.sql'), 'begin;\n\\if :{?x}\nset local x = :\'x\';\n\\endif\nselect 1;\ncommit;\n');
    assert.equal(bundleInstallSql(join(dir, 'if.sql')).trim(), 'select 1;');
    writeFileSync(join(dir, 'notx.sql'), 'select 1;\n');
    assert.throws(() => bundleInstallSql(join(dir, 'notx.sql')), /exactly one top-level begin/);
  });
});

describe('the documented migration', { skip: emptyDsn ? false : 'AUDIT_NODE_EMPTY_DSN is not set' }, () => {
  let pool: pg.Pool;
  let ids: number[] = [];
  before(async () => {
    pool = newPool(emptyDsn);
    ids = await seedUsers(pool);
  });
  after(async () => { await pool?.end(); });

  test('up installs the package and enables users, the SNAPSHOT rows naming the migration', async () => {
    const ran = await migrate(emptyDsn!, 'up');
    assert.deepEqual(ran.map((m) => m.name), [NAME]);
    const version = (await pool.query('select audit.version() as v')).rows[0].v;
    if (workingVersion) assert.equal(version, workingVersion);
    const [t] = (await pool.query(`select table_name::text as t, ignore_columns, redact_columns, lookup_columns
      from audit.tables`)).rows;
    assert.deepEqual(t, { t: 'users', ignore_columns: ['updated_at', 'sign_in_count'],
      redact_columns: ['encrypted_password'], lookup_columns: ['status'] });
    const snap = (await pool.query(`select record_id, actor_type, migration_name, new_values from audit.logs
      where table_name = 'users' and action = 'SNAPSHOT' order by record_id`)).rows;
    assert.equal(snap.length, 2);
    for (const row of snap) {
      assert.equal(row.migration_name, NAME);
      assert.equal(row.actor_type, 'migration');
    }
    assert.equal(snap[0].new_values.encrypted_password, '[redacted]');
    assert.equal(snap[1].new_values.encrypted_password, null);
    const run = (await pool.query('select name from pgmigrations')).rows;
    assert.deepEqual(run, [{ name: NAME }]);
    // The migration's settings ended with its transaction.
    const leftover = (await pool.query("select current_setting('app.current_migration', true) as m")).rows[0].m;
    assert.ok(leftover === null || leftover === '');
  });

  test('writes after it are captured, with the application context', async () => {
    await withAuditContext(pool, { actorEmail: 'ada@example.com' }, async (c) => {
      await c.query("update users set name = 'Ada' where id = $1", [ids[0]]);
    });
    const versions = await history(pool, 'users', ids[0]!);
    assert.deepEqual(versions.map((v) => [v.action, v.migrationName, v.actorEmail]),
      [['SNAPSHOT', NAME, null], ['UPDATE', null, 'ada@example.com']]);
  });

  test('installAuditTrail under pgm.noTransaction() brings its own transaction; run again, it changes nothing', async () => {
    // node-pg-migrate's builder, reduced to the two methods the helper uses; the SQL runs for real.
    const steps: string[] = [];
    const pgm = { sql: (text: string) => { steps.push(text); }, isUsingTransaction: () => false };
    installAuditTrail(pgm as unknown as MigrationBuilder);
    assert.equal(steps.length, 1);
    assert.match(steps[0]!, /^begin;\n/);
    assert.match(steps[0]!, /\ncommit;$/);
    const count = 'select count(*)::int as n, audit.version() as v from audit.logs';
    const before = (await pool.query(count)).rows[0];
    await pool.query(steps[0]!);
    assert.deepEqual((await pool.query(count)).rows[0], before);
    assert.equal((await pool.query('select count(*)::int as n from audit.tables')).rows[0].n, 1, 'users still audited');
  });

  test('setAuditMigration under pgm.noTransaction() is refused, naming the way out', () => {
    const steps: string[] = [];
    const pgm = { sql: (text: string) => { steps.push(text); }, isUsingTransaction: () => false };
    assert.throws(() => setAuditMigration(pgm as unknown as MigrationBuilder, NAME),
      /runs without a transaction \(pgm\.noTransaction\(\)\).*one pgm\.sql string/);
    assert.deepEqual(steps, [], 'nothing queued');
  });

  test('down disables auditing and keeps the history and the package', async () => {
    const ran = await migrate(emptyDsn!, 'down');
    assert.deepEqual(ran.map((m) => m.name), [NAME]);
    assert.equal((await pool.query('select count(*)::int as n from audit.tables')).rows[0].n, 0);
    const before = (await pool.query('select count(*)::int as n from audit.logs')).rows[0].n;
    await pool.query("update users set name = 'Ada Lovelace' where id = $1", [ids[0]]);
    assert.equal((await pool.query('select count(*)::int as n from audit.logs')).rows[0].n, before, 'not captured');
    assert.equal((await history(pool, 'users', ids[0]!)).length, 2, 'history still readable');
    assert.deepEqual((await pool.query('select name from pgmigrations')).rows, []);
  });

  test('up again, as its own transaction (singleTransaction off): a new snapshot, named again', async () => {
    await migrate(emptyDsn!, 'up', { singleTransaction: false });
    const snap = (await pool.query(`select new_values ->> 'name' as name, migration_name from audit.logs
      where table_name = 'users' and action = 'SNAPSHOT' and record_id = $1 order by id`, [String(ids[0])])).rows;
    assert.deepEqual(snap, [{ name: null, migration_name: NAME }, { name: 'Ada Lovelace', migration_name: NAME }]);
  });
});

describe('upgrading an older release in place', {
  skip: !upgradeDsn ? 'AUDIT_NODE_UPGRADE_DSN is not set'
    : !oldRelease ? 'no frozen release older than the working tree in sql/releases/' : false,
}, () => {
  let pool: pg.Pool;
  before(async () => { pool = newPool(upgradeDsn); });
  after(async () => { await pool?.end(); });

  test('the migration upgrades the package, keeps every log row, and changes the options', async () => {
    const client = new pg.Client({ connectionString: upgradeDsn });
    await client.connect();
    try {
      await client.query(`begin;\n${bundleInstallSql(oldRelease)}commit;`);
    } finally {
      await client.end();
    }
    const oldVersion = (await pool.query('select audit.version() as v')).rows[0].v;
    assert.notEqual(oldVersion, workingVersion);
    const ids = await seedUsers(pool);
    await pool.query("select audit.enable('users')");
    await withAuditContext(pool, { actorEmail: 'mod@example.com', actorType: 'moderator' }, async (c) => {
      await c.query("update users set status = 'suspended' where id = $1", [ids[1]]);
    });
    const logBefore = (await pool.query('select * from audit.logs order by id')).rows;

    await migrate(upgradeDsn!, 'up');
    assert.equal((await pool.query('select audit.version() as v')).rows[0].v, workingVersion);
    assert.deepEqual((await pool.query('select * from audit.logs order by id')).rows, logBefore, 'no log row lost or changed');
    const [t] = (await pool.query('select ignore_columns, redact_columns from audit.tables')).rows;
    assert.deepEqual(t, { ignore_columns: ['updated_at', 'sign_in_count'], redact_columns: ['encrypted_password'] });
    await pool.query("update users set encrypted_password = 'new' where id = $1", [ids[0]]);
    const [last] = (await pool.query(`select new_values ->> 'encrypted_password' as p, changed_fields
      from audit.logs order by id desc limit 1`)).rows;
    assert.deepEqual(last, { p: '[redacted]', changed_fields: ['encrypted_password'] });
  });
});
