// Gateway task-list latency at 1,000,000 stored tasks, through the real HTTP API
// (authentication, validation, SQL, serialization), and the gateway's RSS.
//
//   tsx --conditions=@lovage/source src/gateway-query.ts [--json] [--tasks 1000000] [--keep] [--plans]
//
// The tasks are seeded straight into a separate database with one
// INSERT … SELECT generate_series (indexes dropped first and rebuilt after,
// as a bulk load should), spread over the last 7 days: 20 task names, 4
// queues, 20 workers, 85% SUCCESS, 8% FAILURE, the rest in flight.
// --plans prints EXPLAIN (ANALYZE, BUFFERS) of each filter's query on stderr.
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createGateway, migratePostgres, taskListSql, type Gateway, type TaskFilter } from '@lovage/gateway';

const argv = process.argv.slice(2);
const json = argv.includes('--json');
const plans = argv.includes('--plans');
const arg = (name: string, fallback: number): number => {
  const index = argv.indexOf(name);
  return index >= 0 ? Number(argv[index + 1]) : fallback;
};
const TASKS = arg('--tasks', 1_000_000);
const REQUESTS = arg('--requests', 60);
const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const TARGET_P95_MS = 50;
const TARGET_RSS_MB = 300;

const runId = randomBytes(4).toString('hex');
const log = (msg: string): void => {
  if (!json) process.stderr.write(`${msg}\n`);
};

function databaseUrl(name: string): string {
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function withClient<T>(url: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Bulk-loads `count` tasks: drop the secondary indexes, INSERT … SELECT, rebuild them, ANALYZE. */
async function seed(url: string, count: number): Promise<void> {
  await withClient(url, async (db) => {
    const { rows: indexes } = await db.query<{ indexname: string; indexdef: string }>(
      `SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'tasks' AND indexname <> 'tasks_pkey'`,
    );
    for (const index of indexes) await db.query(`DROP INDEX "${index.indexname}"`);
    const started = performance.now();
    // i = 1 is the newest task; one every 7 days / count.
    await db.query(
      `INSERT INTO tasks (id, name, state, args, queue, worker, priority, retries, result_preview, error_name, error_message,
                          runtime, created_at, updated_at, sent_at, received_at, started_at, succeeded_at, failed_at)
       SELECT md5(i::text)::uuid::text,
              'bench.task' || (i % 20),
              s.state::task_state,
              jsonb_build_array(i, 'user' || i || '@example.com'),
              'queue' || (i % 4),
              CASE WHEN s.state = 'PENDING' THEN NULL ELSE 'worker-' || (i % 20) || '@host' END,
              0, CASE WHEN i % 50 = 3 THEN 1 ELSE 0 END,
              CASE WHEN s.state = 'SUCCESS' THEN '{"ok":' || i || '}' END,
              CASE WHEN s.state = 'FAILURE' THEN 'TimeoutError' END,
              CASE WHEN s.state = 'FAILURE' THEN 'upstream ' || (i % 97) || ' timed out after 30s' END,
              CASE WHEN s.state IN ('SUCCESS', 'FAILURE') THEN (i % 1000) / 1000.0 END,
              t.at, t.at, t.at, t.at + interval '5 ms',
              CASE WHEN s.state IN ('PENDING', 'RECEIVED') THEN NULL ELSE t.at + interval '10 ms' END,
              CASE WHEN s.state = 'SUCCESS' THEN t.at + interval '200 ms' END,
              CASE WHEN s.state = 'FAILURE' THEN t.at + interval '200 ms' END
         FROM generate_series(1, $1::int) AS i,
              LATERAL (SELECT now() - (i * (interval '7 days' / $1::int)) AS at) AS t,
              LATERAL (SELECT CASE WHEN i % 100 < 85 THEN 'SUCCESS' WHEN i % 100 < 93 THEN 'FAILURE' WHEN i % 100 < 96 THEN 'RETRY'
                                   WHEN i % 100 < 98 THEN 'STARTED' ELSE 'PENDING' END AS state) AS s`,
      [count],
    );
    log(`  inserted ${count} tasks in ${((performance.now() - started) / 1_000).toFixed(1)} s; rebuilding ${indexes.length} indexes`);
    for (const index of indexes) await db.query(index.indexdef);
    await db.query('ANALYZE tasks');
    log(`  seeded in ${((performance.now() - started) / 1_000).toFixed(1)} s`);
  });
}

interface Case {
  name: string;
  query: string;
  filter: Omit<TaskFilter, 'limit'>;
}

/** The position inside a cursor the API issued (base64url JSON of [ISO time, id]), for EXPLAIN. */
function positionOf(cursor: string): { at: Date; id: string } {
  const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
  return { at: new Date(at), id };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

async function main(): Promise<void> {
  const dbName = `lovage_bench_query_${runId}`;
  await withClient(POSTGRES_URL, (c) => c.query(`CREATE DATABASE "${dbName}"`));
  const url = databaseUrl(dbName);
  let gateway: Gateway | undefined;
  try {
    await migratePostgres(url);
    log(`gateway task list: seeding ${TASKS} tasks into ${dbName}`);
    await seed(url, TASKS);

    gateway = await createGateway({
      databaseUrl: url,
      port: 0,
      host: '127.0.0.1',
      logLevel: 'warn',
      retention: false,
      security: { adminEmail: 'bench@example.com', adminPassword: 'bench-password-1', metricsToken: undefined },
      passwordCost: 1_024,
    });
    const base = gateway.url;
    const login = await fetch(`${base}/api/v1/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: 'bench@example.com', password: 'bench-password-1' }) });
    const cookie = login.headers.getSetCookie().map((line) => line.split(';')[0]).join('; ');
    const csrf = /lovage_csrf=([^;]+)/.exec(cookie)?.[1] ?? '';
    const tokenResponse = await fetch(`${base}/api/v1/tokens`, { method: 'POST', headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrf }, body: JSON.stringify({ name: 'bench', role: 'viewer' }) });
    const { token } = (await tokenResponse.json()) as { token: string };
    const headers = { authorization: `Bearer ${token}` };
    const get = async (path: string): Promise<{ ms: number; body: { tasks: { id: string }[]; nextCursor: string | null } }> => {
      const start = performance.now();
      const response = await fetch(`${base}${path}`, { headers });
      const body = (await response.json()) as { tasks: { id: string }[]; nextCursor: string | null };
      if (response.status !== 200) throw new Error(`GET ${path}: ${response.status} ${JSON.stringify(body)}`);
      return { ms: performance.now() - start, body };
    };

    const day = new Date(Date.now() - 2 * 86_400_000);
    const dayEnd = new Date(day.getTime() + 3_600_000);
    const firstPage = await get('/api/v1/tasks?limit=50');
    const deepCursor = await (async () => {
      let cursor = firstPage.body.nextCursor;
      for (let i = 0; i < 20 && cursor; i++) cursor = (await get(`/api/v1/tasks?limit=50&cursor=${encodeURIComponent(cursor)}`)).body.nextCursor;
      return cursor!;
    })();
    const cases: Case[] = [
      { name: 'all', query: 'limit=50', filter: {} },
      { name: 'state', query: 'state=FAILURE&limit=50', filter: { states: ['FAILURE'] } },
      { name: 'states', query: 'state=FAILURE,RETRY&limit=50', filter: { states: ['FAILURE', 'RETRY'] } },
      { name: 'name', query: 'name=bench.task7&limit=50', filter: { name: 'bench.task7' } },
      { name: 'worker', query: 'worker=worker-3%40host&limit=50', filter: { worker: 'worker-3@host' } },
      { name: 'queue', query: 'queue=queue2&limit=50', filter: { queue: 'queue2' } },
      { name: 'state+name', query: 'state=FAILURE&name=bench.task7&limit=50', filter: { states: ['FAILURE'], name: 'bench.task7' } },
      { name: 'time_range', query: `since=${day.toISOString()}&until=${dayEnd.toISOString()}&limit=50`, filter: { since: day, until: dayEnd } },
      { name: 'text_rare', query: 'q=user123457%40example.com&limit=50', filter: { q: 'user123457@example.com' } },
      { name: 'text_common', query: 'q=timed%20out&limit=50', filter: { q: 'timed out' } },
      { name: 'page_21', query: `limit=50&cursor=${encodeURIComponent(deepCursor)}`, filter: { after: positionOf(deepCursor) } },
    ];

    const all: number[] = [];
    const rows: { name: string; p50: number; p95: number }[] = [];
    for (const c of cases) {
      const times: number[] = [];
      // A few unmeasured requests first, so every pooled connection has planned this query shape once.
      for (let i = 0; i < 5; i++) await get(`/api/v1/tasks?${c.query}`);
      for (let i = 0; i < REQUESTS; i++) times.push((await get(`/api/v1/tasks?${c.query}`)).ms);
      times.sort((a, b) => a - b);
      all.push(...times);
      rows.push({ name: c.name, p50: percentile(times, 50), p95: percentile(times, 95) });
      if (plans) {
        const { sql, params } = taskListSql({ ...c.filter, limit: 50 });
        const plan = await withClient(url, (db) => db.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params));
        process.stderr.write(`\n--- ${c.name}: GET /api/v1/tasks?${c.query.replace(/cursor=[^&]+/, 'cursor=…')}\n${plan.rows.map((r) => r['QUERY PLAN']).join('\n')}\n`);
      }
    }
    all.sort((a, b) => a - b);
    const memory = process.memoryUsage();
    const rssMb = memory.rss / 1_048_576;
    log(`  memory: rss ${rssMb.toFixed(0)} MB, heap used ${(memory.heapUsed / 1_048_576).toFixed(0)} MB (the gateway and this load client share the process)`);

    const out = [
      ...rows.map((r) => ({ name: `gateway_task_list_p95_${r.name}`, unit: 'ms', lovage: r.p95, peer: 'target', peerValue: TARGET_P95_MS, ratio: TARGET_P95_MS / Math.max(r.p95, 0.1) })),
      { name: 'gateway_task_list_p95', unit: 'ms', lovage: percentile(all, 95), peer: 'target', peerValue: TARGET_P95_MS, ratio: TARGET_P95_MS / percentile(all, 95) },
      { name: 'gateway_task_list_p50', unit: 'ms', lovage: percentile(all, 50), peer: 'target', peerValue: TARGET_P95_MS, ratio: TARGET_P95_MS / percentile(all, 50) },
      { name: 'gateway_rss_1m_tasks', unit: 'MB', lovage: rssMb, peer: 'target', peerValue: TARGET_RSS_MB, ratio: TARGET_RSS_MB / rssMb },
    ];
    for (const r of out) {
      const line = { name: r.name, unit: r.unit, lovage: Math.round(r.lovage * 10) / 10, peer: r.peer, peerValue: r.peerValue, ratio: Math.round(r.ratio * 100) / 100 };
      if (json) process.stdout.write(`${JSON.stringify(line)}\n`);
      else process.stdout.write(`${line.name.padEnd(38)} ${String(line.lovage).padStart(8)} ${line.unit.padEnd(3)} ${line.peer} ${String(line.peerValue).padStart(5)}  ratio ${line.ratio}\n`);
    }
  } finally {
    await gateway?.close();
    if (!argv.includes('--keep')) await withClient(POSTGRES_URL, (c) => c.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`));
  }
}

await main();
process.exit(0);
