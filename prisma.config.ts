// Prisma 7 configuration: where the schema and its migrations live. The native
// schema engine is not used here: see scripts/db.mjs for generate/diff/migrate.
import { defineConfig } from 'prisma/config';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
});
