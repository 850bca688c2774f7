// pg-audit-trail for Node.js: Drizzle definitions of the log, typed reads, the context of a
// transaction, and node-pg-migrate helpers. SQL lives in the repository's sql/; nothing here
// changes what is captured.
export { auditActorTypes, auditLogs, auditSchema } from './schema.js';
export type { AuditContextValue, AuditLog, AuditValues } from './schema.js';
export { history, stateAt, tableAt } from './reads.js';
export type { HistoryEntry, Moment, RecordKey, StateAt, TableAtRow } from './reads.js';
export { setAuditContext, withAuditContext } from './context.js';
export type { AuditContext, DrizzleTransactional } from './context.js';
export type { DrizzleExecutor, Executor, PgQueryable, TableRef } from './executor.js';
export {
  bundleInstallSql, defaultInstallSql, disableAudit, enableAudit, installAuditTrail, migrationName,
  setAuditMigration,
} from './migrate.js';
export type { EnableOptions, InstallOptions } from './migrate.js';
