// node-pg-migrate helpers: install or upgrade the package, switch tables on and off, with the
// migration's name recorded on the log rows that this makes (the SNAPSHOT rows of audit.enable).
//
// node-pg-migrate queues a migration's SQL and runs it after `up`/`down` returns, in order, so these
// helpers queue theirs with `pgm.sql` too: a table created by `pgm.createTable` just before is there
// when `enableAudit` runs. Queued SQL has no bind parameters, so values are quoted with node-postgres'
// own `escapeLiteral`.
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MigrationBuilder } from 'node-pg-migrate';
import { escapeLiteral } from 'pg';
import { tableName, type TableRef } from './executor.js';

/** The package's own copy (integrations/node/sql/, made by `npm run build`, shipped in a copied or
 * packed package); without it, sql/install.sql of the repository this package sits in
 * (integrations/node/{src,dist}/ → sql/). */
const ownInstallSql = fileURLToPath(new URL('../sql/install.sql', import.meta.url));
export const defaultInstallSql: string = existsSync(ownInstallSql)
  ? ownInstallSql
  : fileURLToPath(new URL('../../../sql/install.sql', import.meta.url));

/**
 * The install script as one plain SQL script that runs inside a transaction someone else holds:
 * every `\ir` expanded in place, `\set` lines and `\if ... \endif` blocks dropped, and the entry's own top-level `begin;` and
 * `commit;` dropped (the same rules as `.ci/bundle-sql extension`). Any other psql meta-command is
 * an error rather than silently dropped. Works for sql/install.sql and for the single-file
 * releases in sql/releases/.
 */
export function bundleInstallSql(path: string = defaultInstallSql): string {
  const seen = { begin: 0, commit: 0 };
  const out: string[] = [];
  const include = (file: string, depth: number): void => {
    if (depth > 20) throw new Error(`bundleInstallSql: includes nested too deep at ${file}`);
    const lines = readFileSync(file, 'utf8').split('\n');
    if (lines.at(-1) === '') lines.pop();
    let inIf = false;
    lines.forEach((line, i) => {
      // A psql-only \if ... \endif block (install.sql's -v lock_timeout) is dropped whole, as
      // .ci/bundle-sql does for the extension script: the session's lock_timeout applies.
      if (/^[ \t]*\\if[ \t]/.test(line)) {
        inIf = true;
        return;
      }
      if (inIf) {
        if (/^[ \t]*\\endif\b/.test(line)) inIf = false;
        return;
      }
      const inc = /^[ \t]*\\(?:ir|include_relative)[ \t]+(.+?)[ \t]*$/.exec(line);
      if (inc) {
        const target = inc[1]!.replace(/^'(.*)'$/, '$1');
        include(resolve(dirname(file), target), depth + 1);
        return;
      }
      if (/^[ \t]*\\set[ \t]/.test(line)) return;
      if (/^[ \t]*\\/.test(line)) {
        throw new Error(`bundleInstallSql: ${file}:${i + 1}: psql meta-command not supported here: ${line}`);
      }
      const tx = /^(begin|commit)[ \t]*;[ \t]*$/i.exec(line);
      if (depth === 0 && tx) {
        seen[tx[1]!.toLowerCase() as 'begin' | 'commit']++;
        return;
      }
      out.push(line);
    });
  };
  include(path, 0);
  if (seen.begin !== 1 || seen.commit !== 1) {
    throw new Error(`bundleInstallSql: ${path} must have exactly one top-level begin; and one commit; `
      + `(found ${seen.begin} and ${seen.commit})`);
  }
  return `${out.join('\n')}\n`;
}

/** The name node-pg-migrate gives a migration file: `migrationName(import.meta.url)` in it. */
export function migrationName(fileOrUrl: string): string {
  const path = fileOrUrl.startsWith('file:') ? fileURLToPath(fileOrUrl) : fileOrUrl;
  return basename(path, extname(path));
}

function setMigrationSql(migration: string): string {
  if (typeof migration !== 'string' || migration === '') {
    throw new TypeError('the migration name must be a non-empty string: migrationName(import.meta.url)');
  }
  return `select audit.set_migration(${escapeLiteral(migration)});`;
}

/**
 * Names the migration for the rest of its transaction: its own data changes are logged with it.
 * Refused under `pgm.noTransaction()`, where the setting would end with its own statement.
 */
export function setAuditMigration(pgm: MigrationBuilder, migration: string): void {
  const statement = setMigrationSql(migration);
  if (!pgm.isUsingTransaction()) {
    throw new Error(`setAuditMigration(${JSON.stringify(migration)}): the migration runs without a transaction `
      + '(pgm.noTransaction()), so the name would end with its own statement and the changes after it would be '
      + 'logged without it; keep the migration in its transaction, or put the name and the changes in one '
      + `pgm.sql string: pgm.sql(\`${statement} update ...;\`)`);
  }
  pgm.sql(statement);
}

export interface InstallOptions {
  /** the install script (default: defaultInstallSql, the package's sql/install.sql) */
  sqlPath?: string;
}

/**
 * Installs the package, or upgrades an older one in place (keeping every log row); a second run
 * changes nothing. In node-pg-migrate's transaction; under `pgm.noTransaction()` it brings its own.
 */
export function installAuditTrail(pgm: MigrationBuilder, options: InstallOptions = {}): void {
  const body = bundleInstallSql(options.sqlPath ?? defaultInstallSql);
  pgm.sql(pgm.isUsingTransaction() ? body : `begin;\n${body}commit;`);
}

export interface EnableOptions {
  /** the migration's name, recorded on the SNAPSHOT rows: migrationName(import.meta.url) */
  migration: string;
  ignoreColumns?: string[];
  redactColumns?: string[];
  snapshot?: boolean;
  keyColumns?: string[];
  requireActor?: boolean;
  /** columns indexed for tableAt(..., filter) (the columns of a composite key always are) */
  lookupColumns?: string[];
}

const textArray = (values: readonly string[]): string =>
  values.length === 0 ? `'{}'::text[]` : `array[${values.map((v) => escapeLiteral(v)).join(', ')}]::text[]`;

/** `audit.enable(table, ...)`, queued; calling it again on an audited table changes its options. */
export function enableAudit(pgm: MigrationBuilder, table: TableRef, options: EnableOptions): void {
  const args = [`${escapeLiteral(tableName(table))}::regclass`];
  if (options.ignoreColumns) args.push(`ignore_columns => ${textArray(options.ignoreColumns)}`);
  if (options.redactColumns) args.push(`redact_columns => ${textArray(options.redactColumns)}`);
  if (options.snapshot !== undefined) args.push(`snapshot => ${options.snapshot ? 'true' : 'false'}`);
  if (options.keyColumns) args.push(`key_columns => ${textArray(options.keyColumns)}`);
  if (options.requireActor !== undefined) args.push(`require_actor => ${options.requireActor ? 'true' : 'false'}`);
  if (options.lookupColumns) args.push(`lookup_columns => ${textArray(options.lookupColumns)}`);
  pgm.sql(`${setMigrationSql(options.migration)}\nselect audit.enable(${args.join(', ')});`);
}

/** `audit.disable(table)`, queued: auditing stops, the table's history stays readable. */
export function disableAudit(pgm: MigrationBuilder, table: TableRef, options: { migration: string }): void {
  pgm.sql(`${setMigrationSql(options.migration)}\nselect audit.disable(${escapeLiteral(tableName(table))}::regclass);`);
}
