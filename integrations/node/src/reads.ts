// Typed wrappers of the package's reads: audit.state_at, audit.history, audit.table_at.
//
// Timestamps come back as ISO 8601 text in UTC with microseconds ('2024-05-01T12:00:00.123456Z'):
// exact, the same under Drizzle and plain node-postgres, and accepted back as `ts`. `new Date(s)`
// turns one into a Date (to the millisecond).
import { run, tableName, type Executor, type TableRef } from './executor.js';
import type { AuditValues } from './schema.js';

/** A key value: a number, bigint or text (a uuid's text); for a composite key, an object of its columns. */
export type RecordKey = string | number | bigint | Record<string, unknown>;

/** A moment: a Date (to the millisecond) or any text PostgreSQL reads as timestamptz. */
export type Moment = Date | string;

export interface StateAt<S = AuditValues> {
  recordId: string;
  state: S;
  validFrom: string;
  logId: number;
  action: string;
  actorEmail: string | null;
  actorType: string | null;
  migrationName: string | null;
}

export interface HistoryEntry<S = AuditValues> {
  logId: number;
  action: string;
  validFrom: string;
  /** null for the current version */
  validTo: string | null;
  state: S | null;
  changedFields: string[] | null;
  actorEmail: string | null;
  actorType: string | null;
  actorId: string | null;
  migrationName: string | null;
  transactionId: string;
}

export interface TableAtRow<S = AuditValues> {
  recordId: string;
  state: S;
}

const iso = (col: string) =>
  `pg_catalog.to_char(${col} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;

/** The key as a parameter, and the cast that makes the polymorphic function accept it. */
function keyParam(id: RecordKey): { value: string; cast: string } {
  if (id === null || id === undefined) throw new TypeError('the key value must not be null');
  const exact = (v: unknown) => {
    // A number past 2^53 has already lost digits and could name another record.
    if (typeof v === 'number' && Number.isInteger(v) && !Number.isSafeInteger(v)) {
      throw new RangeError(`the key value ${v} is past Number.MAX_SAFE_INTEGER: pass it as a bigint or text`);
    }
    return typeof v === 'bigint' ? v.toString() : v;
  };
  if (typeof id === 'object') return { value: JSON.stringify(id, (_k, v) => exact(v)), cast: 'jsonb' };
  exact(id);
  // The package casts the key's text to the key column's type, whatever that type is.
  return { value: String(id), cast: 'text' };
}

function moment(ts: Moment): Moment {
  if (ts === null || ts === undefined) throw new TypeError('the timestamp must not be null');
  return ts;
}

/** The record as it was at `ts`, or null if it did not exist then (`audit.state_at`). */
export async function stateAt<S = AuditValues>(
  db: Executor,
  table: TableRef,
  id: RecordKey,
  ts: Moment,
): Promise<StateAt<S> | null> {
  const key = keyParam(id);
  const rows = await run<{
    record_id: string; state: S; valid_from: string; log_id: string | number; action: string;
    actor_email: string | null; actor_type: string | null; migration_name: string | null;
  }>(
    db,
    `select s.record_id, s.state, ${iso('s.valid_from')} as valid_from, s.log_id, s.action,
            s.actor_email, s.actor_type, s.migration_name
     from audit.state_at($1::regclass, $2::${key.cast}, $3::timestamptz) as s`,
    [tableName(table), key.value, moment(ts)],
  );
  const r = rows[0];
  if (!r) return null;
  return {
    recordId: r.record_id,
    state: r.state,
    validFrom: r.valid_from,
    logId: Number(r.log_id),
    action: r.action,
    actorEmail: r.actor_email,
    actorType: r.actor_type,
    migrationName: r.migration_name,
  };
}

/** Every version of the record, oldest first, across key changes (`audit.history`). */
export async function history<S = AuditValues>(
  db: Executor,
  table: TableRef,
  id: RecordKey,
): Promise<HistoryEntry<S>[]> {
  const key = keyParam(id);
  const rows = await run<{
    log_id: string | number; action: string; valid_from: string; valid_to: string | null; state: S | null;
    changed_fields: string[] | null; actor_email: string | null; actor_type: string | null;
    actor_id: string | null; migration_name: string | null; transaction_id: string;
  }>(
    db,
    `select h.log_id, h.action, ${iso('h.valid_from')} as valid_from, ${iso('h.valid_to')} as valid_to,
            h.state, h.changed_fields, h.actor_email, h.actor_type, h.actor_id, h.migration_name,
            h.transaction_id::text as transaction_id
     from audit.history($1::regclass, $2::${key.cast}) as h
     order by h.log_id`,
    [tableName(table), key.value],
  );
  return rows.map((r) => ({
    logId: Number(r.log_id),
    action: r.action,
    validFrom: r.valid_from,
    validTo: r.valid_to,
    state: r.state,
    changedFields: r.changed_fields,
    actorEmail: r.actor_email,
    actorType: r.actor_type,
    actorId: r.actor_id,
    migrationName: r.migration_name,
    transactionId: r.transaction_id,
  }));
}

/**
 * Every record that existed at `ts` (`audit.table_at`). With `filter`, only those whose state then
 * contained it (`{ user_id: 98 }`: the memberships user 98 had then); that needs the package's
 * three-argument `audit.table_at(tbl, ts, filter jsonb)`.
 */
export async function tableAt<S = AuditValues>(
  db: Executor,
  table: TableRef,
  ts: Moment,
  filter?: Record<string, unknown>,
): Promise<TableAtRow<S>[]> {
  const withFilter = filter !== undefined && filter !== null;
  if (withFilter && (typeof filter !== 'object' || Array.isArray(filter))) {
    throw new TypeError('tableAt: filter must be an object of column values');
  }
  const rows = await run<{ record_id: string; state: S }>(
    db,
    withFilter
      ? 'select t.record_id, t.state from audit.table_at($1::regclass, $2::timestamptz, $3::jsonb) as t'
      : 'select t.record_id, t.state from audit.table_at($1::regclass, $2::timestamptz) as t',
    withFilter ? [tableName(table), moment(ts), JSON.stringify(filter)] : [tableName(table), moment(ts)],
  );
  return rows.map((r) => ({ recordId: r.record_id, state: r.state }));
}
