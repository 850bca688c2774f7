// Drizzle definitions of the package's tables, for reading them with Drizzle's query builder:
// `db.select().from(auditLogs).where(eq(auditLogs.tableName, 'users'))`.
//
// sql/install.sql creates and upgrades these tables: keep them out of drizzle-kit's migrations
// (`schemaFilter: ['public']` in drizzle.config.ts, or `tablesFilter`), or drizzle-kit would try to
// create or alter them.
import { bigint, customType, inet, jsonb, pgSchema, text, timestamp } from 'drizzle-orm/pg-core';

export const auditSchema = pgSchema('audit');

/** PostgreSQL's xid8: node-postgres hands it over as text (it may exceed 2^53). */
const xid8 = customType<{ data: string; driverData: string }>({
  dataType: () => 'xid8',
});

/** A row's values as the log stores them: jsonb of column name to value. */
export type AuditValues = Record<string, unknown>;

/** The application context of a change (`app.audit_context`): a JSON object. */
export type AuditContextValue = Record<string, unknown>;

/**
 * `audit.logs`, one row per captured change. `createdAt` is PostgreSQL's own text of the timestamp
 * (microseconds kept: a JavaScript Date would round them to milliseconds, and time-travel reads at
 * such a rounded moment can miss the change). `id` is a number: it stays exact below 2^53.
 */
export const auditLogs = auditSchema.table('logs', {
  id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'string' }).notNull(),
  transactionId: xid8('transaction_id').notNull(),
  schemaName: text('schema_name').notNull(),
  tableName: text('table_name').notNull(),
  recordId: text('record_id').notNull(),
  oldRecordId: text('old_record_id'),
  action: text('action').notNull(), // INSERT, UPDATE, DELETE, TRUNCATE, SNAPSHOT
  oldValues: jsonb('old_values').$type<AuditValues>(),
  newValues: jsonb('new_values').$type<AuditValues>(),
  changedFields: text('changed_fields').array(),
  actorEmail: text('actor_email'),
  actorType: text('actor_type'),
  actorId: text('actor_id'),
  migrationName: text('migration_name'),
  context: jsonb('context').$type<AuditContextValue>(),
  dbUser: text('db_user'),
  applicationName: text('application_name'),
  clientAddr: inet('client_addr'),
});

export type AuditLog = typeof auditLogs.$inferSelect;

/** `audit.actor_types`: the values `actorType` may take; a site may add its own rows. */
export const auditActorTypes = auditSchema.table('actor_types', {
  name: text('name').primaryKey(),
  description: text('description'),
});
