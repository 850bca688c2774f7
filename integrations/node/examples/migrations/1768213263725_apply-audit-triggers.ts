// example: migration
import type { MigrationBuilder } from 'node-pg-migrate';
import { disableAudit, enableAudit, installAuditTrail, migrationName } from 'pg-audit-trail-node';

const migration = migrationName(import.meta.url); // '1768213263725_apply-audit-triggers'

export async function up(pgm: MigrationBuilder): Promise<void> {
  installAuditTrail(pgm); // installs sql/install.sql, or upgrades an older install in place
  enableAudit(pgm, 'users', {
    migration, // recorded on the SNAPSHOT rows of the users that exist now
    ignoreColumns: ['updated_at', 'sign_in_count'],
    redactColumns: ['encrypted_password'],
    lookupColumns: ['status'], // indexed for tableAt(db, users, ts, { status: 'suspended' })
  });
}

export async function down(pgm: MigrationBuilder): Promise<void> {
  disableAudit(pgm, 'users', { migration }); // the package and the history stay
}
// end example
