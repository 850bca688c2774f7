// withAuditContext: who acts, and why, for the changes of one transaction.
// example: context
import { eq } from 'drizzle-orm';
import type { NodePgDatabase } from 'drizzle-orm/node-postgres';
import type { Pool } from 'pg';
import { withAuditContext } from 'pg-audit-trail-node';
import { users } from './schema.js';

export async function renameUser(db: NodePgDatabase, actor: { email: string; id: number },
  requestId: string, userId: number, name: string): Promise<void> {
  await withAuditContext(db, {
    actorEmail: actor.email,
    actorId: actor.id,
    context: { request_id: requestId },
  }, async (tx) => {
    await tx.update(users).set({ name }).where(eq(users.id, userId));
  });
}

export async function suspendUser(pool: Pool, moderatorEmail: string, userId: number): Promise<number> {
  return withAuditContext(pool, { actorEmail: moderatorEmail, actorType: 'moderator' }, async (client) => {
    const res = await client.query("update users set status = 'suspended' where id = $1", [userId]);
    return res.rowCount ?? 0;
  });
}
// end example
