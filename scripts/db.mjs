// Database tasks for the monitor's schema, without Prisma's native engines
// (which cannot be downloaded here; see shared/notes/ENVIRONMENT.md):
//   node scripts/db.mjs generate     prisma generate (WebAssembly only)
//   node scripts/db.mjs diff NAME    write prisma/migrations/<timestamp>_<NAME>/migration.sql
//   node scripts/db.mjs migrate      apply pending migrations to DATABASE_URL, or to the
//                                    embedded PGlite database under $LOVAGE_DATA_DIR/pglite
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const gateway = join(root, 'apps/gateway');
const schemaPath = join(root, 'prisma/schema.prisma');
const migrationsDir = join(root, 'prisma/migrations');
// Resolve the gateway's dependencies from the gateway, wherever npm hoisted them.
const requireFromGateway = createRequire(join(gateway, 'package.json'));
const importFromGateway = (specifier) => import(pathToFileURL(requireFromGateway.resolve(specifier)).href);

function fail(message) {
  console.error(`db: ${message}`);
  process.exit(1);
}

function generate() {
  // The CLI skips downloading its native schema engine when this points at a file;
  // `generate` itself only needs WebAssembly.
  const env = { ...process.env };
  if (!env.PRISMA_SCHEMA_ENGINE_BINARY) env.PRISMA_SCHEMA_ENGINE_BINARY = schemaPath;
  env.PRISMA_HIDE_UPDATE_MESSAGE ??= '1';
  const prismaCli = requireFromGateway.resolve('prisma/build/index.js');
  const { status } = spawnSync(process.execPath, [prismaCli, 'generate', '--schema', schemaPath], {
    cwd: root,
    env,
    stdio: 'inherit',
  });
  process.exit(status ?? 1);
}

/** Loads the WebAssembly schema engine, which is packaged for bundlers. */
async function loadSchemaEngine() {
  const bg = await importFromGateway('@prisma/schema-engine-wasm/schema_engine_bg');
  const wasmPath = requireFromGateway.resolve('@prisma/schema-engine-wasm/schema_engine_bg').replace(/\.js$/, '.wasm');
  const module = new WebAssembly.Module(readFileSync(wasmPath));
  const imports = {};
  for (const { module: name } of WebAssembly.Module.imports(module)) imports[name] = bg;
  const instance = new WebAssembly.Instance(module, imports);
  bg.__wbg_set_wasm(instance.exports);
  instance.exports.__wbindgen_start();
  return bg.SchemaEngine;
}

function timestamp(date = new Date()) {
  const pad = (n) => String(n).padStart(2, '0');
  return (
    `${date.getUTCFullYear()}${pad(date.getUTCMonth() + 1)}${pad(date.getUTCDate())}` +
    `${pad(date.getUTCHours())}${pad(date.getUTCMinutes())}${pad(date.getUTCSeconds())}`
  );
}

/**
 * Diffs "the schema the existing migrations build" (replayed by the engine on a
 * throwaway in-memory PGlite shadow database) against schema.prisma.
 */
async function diff(name) {
  if (!name || !/^[a-z0-9_]+$/i.test(name)) fail('usage: npm run db:diff -- <name>   (letters, digits, _)');
  const SchemaEngine = await loadSchemaEngine();
  const { PGlite } = await importFromGateway('@electric-sql/pglite');
  const { PrismaPGlite } = await importFromGateway('pglite-prisma-adapter');
  const { bindMigrationAwareSqlAdapterFactory } = await importFromGateway('@prisma/driver-adapter-utils');

  const schema = readFileSync(schemaPath, 'utf8');
  const pglite = new PGlite();
  const logs = [];
  const engine = await SchemaEngine.new(
    { datamodels: [[schemaPath, schema]] },
    (line) => logs.push(line),
    bindMigrationAwareSqlAdapterFactory(new PrismaPGlite(pglite)),
  );
  const migrationDirectories = existsSync(migrationsDir)
    ? readdirSync(migrationsDir, { withFileTypes: true })
        .filter((entry) => entry.isDirectory())
        .map((entry) => entry.name)
        .sort()
        .map((dir) => ({
          path: dir,
          migrationFile: {
            path: 'migration.sql',
            content: { tag: 'ok', value: readFileSync(join(migrationsDir, dir, 'migration.sql'), 'utf8') },
          },
        }))
    : [];
  const lockPath = join(migrationsDir, 'migration_lock.toml');
  let result;
  try {
    result = await engine.diff({
      from: migrationDirectories.length === 0 ? { tag: 'empty' } : {
        tag: 'migrations',
        baseDir: migrationsDir,
        lockfile: { path: 'migration_lock.toml', content: existsSync(lockPath) ? readFileSync(lockPath, 'utf8') : null },
        shadowDbInitScript: '',
        migrationDirectories,
      },
      to: { tag: 'schemaDatamodel', files: [{ path: schemaPath, content: schema }] },
      script: true,
      exitCode: null,
      filters: { externalTables: [], externalEnums: [] },
    });
  } catch (error) {
    if (logs.length > 0) console.error(logs.join('\n'));
    throw error;
  } finally {
    engine.free();
    await pglite.close();
  }
  const sql = (result.stdout ?? '').trim();
  if (sql === '' || sql === '-- This is an empty migration.') {
    console.log('db: no changes');
    return;
  }
  const dir = join(migrationsDir, `${timestamp()}_${name}`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'migration.sql'), `${sql}\n`);
  writeFileSync(
    lockPath,
    '# Please do not edit this file manually\n# It should be added in your version-control system (e.g., Git)\nprovider = "postgresql"\n',
  );
  console.log(`db: wrote ${join(dir, 'migration.sql').slice(root.length)}`);
}

async function migrate() {
  // The runner is TypeScript in the gateway; tsx runs it from source.
  const { register } = await import('tsx/esm/api');
  register();
  const { migratePostgres, migratePglite } = await import(
    pathToFileURL(join(gateway, 'src/store/migrate.ts')).href
  );
  const url = process.env.DATABASE_URL;
  let result;
  let where;
  if (url) {
    where = url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
    result = await migratePostgres(url);
  } else {
    const dataDir = resolve(root, process.env.LOVAGE_DATA_DIR ?? '.lovage', 'pglite');
    where = `PGlite at ${dataDir}`;
    mkdirSync(dataDir, { recursive: true });
    const { PGlite } = await importFromGateway('@electric-sql/pglite');
    const db = new PGlite(dataDir);
    try {
      result = await migratePglite(db);
    } finally {
      await db.close();
    }
  }
  if (result.applied.length === 0) console.log(`db: ${where} is up to date (${result.alreadyApplied} migrations)`);
  else console.log(`db: applied ${result.applied.join(', ')} to ${where}`);
}

const [command, ...rest] = process.argv.slice(2);
try {
  if (command === 'generate') generate();
  else if (command === 'diff') await diff(rest[0]);
  else if (command === 'migrate') await migrate();
  else fail('usage: node scripts/db.mjs generate | diff <name> | migrate');
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
