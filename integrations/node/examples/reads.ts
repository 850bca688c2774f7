// Reading the log with Drizzle, and the time-travel reads as typed helpers.
// example: reads
import { desc, eq } from 'drizzle-orm';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import { auditLogs, history, stateAt, tableAt } from 'pg-audit-trail-node';
import { users } from './schema.js';

export async function recentChangesBy(db: NodePgDatabase, email: string) {
  return db.select().from(auditLogs)
    .where(eq(auditLogs.actorEmail, email))
    .orderBy(desc(auditLogs.id))
    .limit(20);
}

export async function userAsOf(db: NodePgDatabase, userId: number, ts: Date | string) {
  const version = await stateAt<{ email: string; name: string | null }>(db, users, userId, ts);
  return version?.state ?? null; // null: the user did not exist at ts
}

export async function userHistory(db: NodePgDatabase, userId: number) {
  return history(db, users, userId); // oldest first: action, validFrom, validTo, state, changedFields, actor...
}

export async function suspendedUsersAt(db: NodePgDatabase, ts: Date | string) {
  return tableAt(db, users, ts, { status: 'suspended' }); // the users whose state at ts contains it
}
// end example
