// Copies the repository's sql/ (install.sql and everything it \ir-includes) into this package's
// sql/, so that a copied or packed package (npm install --install-links, npm pack) has its own
// install script: defaultInstallSql points there. Run by `npm run build`.
import { cpSync, existsSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const from = fileURLToPath(new URL('../../../sql/', import.meta.url));
const to = fileURLToPath(new URL('../sql/', import.meta.url));

if (!existsSync(`${from}install.sql`)) {
  throw new Error(`copy-sql: ${from}install.sql not found (run the build inside the repository)`);
}
rmSync(to, { recursive: true, force: true });
cpSync(from, to, { recursive: true });
