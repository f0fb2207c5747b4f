// Gateway task-list latency at 1,000,000 stored tasks, through the real HTTP API
// (authentication, validation, SQL, serialization), and the gateway's RSS.
//
//   npm run bench:gateway -w @lovage/bench     (with the ingest bench)
//   tsx --conditions=@lovage/source src/gateway-query.ts [--json] [--tasks 1000000] [--requests 60] [--keep] [--explain] [--celery]
//
// --celery: the rows are a Python Celery cluster's instead (cluster 'bench', names like
// 'proj.tasks.task7', args and kwargs as the Python repr strings Celery's events carry),
// and the gateway watches that cluster on the test Redis while it answers: Flower keeps
// every task in its own memory, the gateway keeps them in Postgres.
//
// The tasks are seeded straight into a fresh database (lovage_bench_query_*)
// with one INSERT … SELECT generate_series (indexes dropped first and rebuilt
// after, as a bulk load should), spread over the last 7 days: 20 task names,
// 4 queues, 20 workers, 85% SUCCESS, 8% FAILURE, the rest in flight.
// The gateway runs in a child process, so its RSS is its own and not the load
// client's. --explain (or --plans) prints EXPLAIN (ANALYZE, BUFFERS) of each
// filter's query on stderr, with a one-line summary (index, execution time).
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseCeleryClusters, taskListSql, type Gateway, type TaskFilter } from '@lovage/gateway';
import { benchArgs, createBenchDatabase, percentile, printMeasurements, progress, REDIS_URL, sessionCookie, startBenchGateway, withClient } from './gateway-support.js';

const args = benchArgs();
const explain = args.has('--explain') || args.has('--plans');
const TASKS = args.number('--tasks', 1_000_000);
const REQUESTS = args.number('--requests', 60);
const TARGET_P95_MS = 50;
const TARGET_RSS_MB = 300;
const CELERY = args.has('--celery');
/** The watched cluster's name and its events' key prefix on the test Redis (nothing sends on it). */
const CLUSTER = 'bench';
const log = progress(args.json);

/** Bulk-loads `count` tasks: drop the secondary indexes, INSERT … SELECT, rebuild them, VACUUM ANALYZE. */
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
                          runtime, created_at, updated_at, sent_at, received_at, started_at, succeeded_at, failed_at, cluster, kwargs)
       SELECT md5(i::text)::uuid::text,
              $2 || (i % 20),
              s.state::task_state,
              CASE WHEN $3 THEN to_jsonb('(' || i || ', ''user' || i || '@example.com'')') ELSE jsonb_build_array(i, 'user' || i || '@example.com') END,
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
              CASE WHEN s.state = 'FAILURE' THEN t.at + interval '200 ms' END,
              $4::text, CASE WHEN $3 THEN to_jsonb('{}'::text) END
         FROM generate_series(1, $1::int) AS i,
              LATERAL (SELECT now() - (i * (interval '7 days' / $1::int)) AS at) AS t,
              LATERAL (SELECT CASE WHEN i % 100 < 85 THEN 'SUCCESS' WHEN i % 100 < 93 THEN 'FAILURE' WHEN i % 100 < 96 THEN 'RETRY'
                                   WHEN i % 100 < 98 THEN 'STARTED' ELSE 'PENDING' END AS state) AS s`,
      [count, CELERY ? 'proj.tasks.task' : 'bench.task', CELERY, CELERY ? CLUSTER : null],
    );

    log(`  inserted ${count} tasks in ${((performance.now() - started) / 1_000).toFixed(1)} s; rebuilding ${indexes.length} indexes`);
    for (const index of indexes) await db.query(index.indexdef);
    // VACUUM too, as autovacuum does to a freshly loaded table within a minute (PostgreSQL 13+
    // vacuums after inserts): without the visibility map, counts that an index answers alone (the
    // Overview's unfinished tasks) read every heap page they touch, a state no live database stays in.
    await db.query('VACUUM (ANALYZE) tasks');
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

/** "Index Scan using X" (or the scan nodes used) and the execution time, from an EXPLAIN ANALYZE plan. */
function planSummary(lines: string[]): string {
  const scans = lines.map((line) => /(?:Index Only Scan|Index Scan|Bitmap Index Scan|Seq Scan)(?: Backward)? (?:using|on) \S+/.exec(line)?.[0]).filter((scan) => scan !== undefined);
  const time = lines.map((line) => /Execution Time: (.*)/.exec(line)?.[1]).find((found) => found !== undefined);
  return `${[...new Set(scans)].join(' + ') || 'no scan node'}; execution ${time ?? '?'}`;
}

type ServerMemory = Pick<NodeJS.MemoryUsage, 'rss' | 'heapUsed' | 'heapTotal' | 'external'> & { liveHeap: number | null };

/** The gateway in a child process (this file with --serve), so its memory is measured alone. */
async function startServer(url: string): Promise<{ url: string; memory(): Promise<ServerMemory>; stop(): Promise<void>; child: ChildProcess }> {
  const child = fork(fileURLToPath(import.meta.url), ['--serve', url, ...(CELERY ? ['--celery'] : [])], { execArgv: [...process.execArgv, ...(args.has('--gc') ? ['--expose-gc'] : [])] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const next = <T>(key: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const onMessage = (message: unknown): void => {
        if (typeof message !== 'object' || message === null || !(key in message)) return;
        child.off('message', onMessage);
        resolve((message as Record<string, T>)[key]!);
      };
      child.on('message', onMessage);
      void exited.then(() => reject(new Error('the gateway process exited')));
    });
  const gatewayUrl = await next<string>('url');
  return {
    url: gatewayUrl,
    child,
    memory() {
      const answer = next<ServerMemory>('memory');
      child.send('memory');
      return answer;
    },
    async stop() {
      if (child.connected) child.send('stop');
      await exited;
    },
  };
}

async function serve(url: string): Promise<void> {
  const celery = CELERY ? parseCeleryClusters(`${CLUSTER}=${REDIS_URL}`, `bench-query-${process.pid}:`) : [];
  const gateway: Gateway = await startBenchGateway(url, { celery });
  process.on('message', (message) => {
    if (message === 'memory') {
      const { rss, heapUsed, heapTotal, external } = process.memoryUsage();
      // With --gc: the live heap after a full collection too (diagnostics; the RSS reported is the one before).
      const gc = (globalThis as { gc?: () => void }).gc;
      gc?.();
      const liveHeap = gc ? process.memoryUsage().heapUsed : null;
      process.send!({ memory: { rss, heapUsed, heapTotal, external, liveHeap } });
    }
    if (message === 'stop') void gateway.close().then(() => process.exit(0));
  });
  // A bench that dies leaves no gateway behind.
  process.once('disconnect', () => void gateway.close().then(() => process.exit(0)));
  process.send!({ url: gateway.url });
}

async function main(): Promise<void> {
  const database = await createBenchDatabase('query', args.has('--keep'));
  const url = database.url;
  let server: Awaited<ReturnType<typeof startServer>> | undefined;
  try {
    log(`gateway task list: seeding ${TASKS} tasks into ${database.name}`);
    await seed(url, TASKS);

    server = await startServer(url);
    const base = server.url;
    const cookie = await sessionCookie(base);
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
    const name7 = CELERY ? 'proj.tasks.task7' : 'bench.task7';
    const cases: Case[] = [
      { name: 'all', query: 'limit=50', filter: {} },
      { name: 'state', query: 'state=FAILURE&limit=50', filter: { states: ['FAILURE'] } },
      { name: 'states', query: 'state=FAILURE,RETRY&limit=50', filter: { states: ['FAILURE', 'RETRY'] } },
      { name: 'name', query: `name=${name7}&limit=50`, filter: { name: name7 } },
      { name: 'worker', query: 'worker=worker-3%40host&limit=50', filter: { worker: 'worker-3@host' } },
      { name: 'queue', query: 'queue=queue2&limit=50', filter: { queue: 'queue2' } },
      { name: 'state+name', query: `state=FAILURE&name=${name7}&limit=50`, filter: { states: ['FAILURE'], name: name7 } },
      { name: 'time_range', query: `since=${day.toISOString()}&until=${dayEnd.toISOString()}&limit=50`, filter: { since: day, until: dayEnd } },
      { name: 'text_rare', query: 'q=user123457%40example.com&limit=50', filter: { q: 'user123457@example.com' } },
      { name: 'text_common', query: 'q=timed%20out&limit=50', filter: { q: 'timed out' } },
      // Harder shapes: a combination no row matches (the name index is walked to its end) and states no row has.
      { name: 'name+queue_empty', query: `name=${name7}&queue=queue2&limit=50`, filter: { name: name7, queue: 'queue2' } },
      { name: 'states_empty', query: 'state=REVOKED,REJECTED&limit=50', filter: { states: ['REVOKED', 'REJECTED'] } },
      { name: 'page_21', query: `limit=50&cursor=${encodeURIComponent(deepCursor)}`, filter: { after: positionOf(deepCursor) } },
      ...(CELERY ? [{ name: 'cluster+state', query: `cluster=${CLUSTER}&state=FAILURE&limit=50`, filter: { cluster: CLUSTER, states: ['FAILURE' as const] } }] : []),
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
      if (explain) {
        const { sql, params } = taskListSql({ ...c.filter, limit: 50 });
        const plan = await withClient(url, (db) => db.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params));
        const lines = plan.rows.map((r) => r['QUERY PLAN']);
        process.stderr.write(`\n--- ${c.name}: GET /api/v1/tasks?${c.query.replace(/cursor=[^&]+/, 'cursor=…')}\n${lines.join('\n')}\n`);
        process.stderr.write(`=== plan ${c.name}: ${planSummary(lines)}\n`);
      }
    }
    all.sort((a, b) => a - b);
    // The Overview's one request and its throughput chart over the week the tasks span.
    const pages: { name: string; path: string }[] = [
      { name: 'overview', path: '/api/v1/overview' },
      { name: 'throughput_7d', path: '/api/v1/metrics/throughput?window=7d' },
    ];
    const pageRows: { name: string; p95: number }[] = [];
    for (const p of pages) {
      for (let i = 0; i < 5; i++) await get(p.path);
      const times: number[] = [];
      for (let i = 0; i < REQUESTS; i++) times.push((await get(p.path)).ms);
      pageRows.push({ name: p.name, p95: percentile(times.sort((a, b) => a - b), 95) });
    }
    const memory = await server.memory();
    const rssMb = memory.rss / 1_048_576;
    const mb = (bytes: number): string => (bytes / 1_048_576).toFixed(0);
    log(`  gateway process: rss ${mb(memory.rss)} MB, heap ${mb(memory.heapUsed)} MB used of ${mb(memory.heapTotal)} MB, external ${mb(memory.external)} MB${memory.liveHeap === null ? '' : `, live heap after a full GC ${mb(memory.liveHeap)} MB`}`);

    printMeasurements(
      [
        ...rows.map((r) => ({ name: `gateway_task_list_p95_${r.name}`, unit: 'ms', lovage: r.p95, target: TARGET_P95_MS, better: 'lower' as const })),
        { name: 'gateway_task_list_p95', unit: 'ms', lovage: percentile(all, 95), target: TARGET_P95_MS, better: 'lower' },
        { name: 'gateway_task_list_p50', unit: 'ms', lovage: percentile(all, 50), target: null, better: 'lower' },
        ...pageRows.map((r) => ({ name: `gateway_${r.name}_p95`, unit: 'ms', lovage: r.p95, target: TARGET_P95_MS, better: 'lower' as const })),
        { name: CELERY ? 'gateway_rss_1m_celery_tasks' : 'gateway_rss_1m_tasks', unit: 'MB', lovage: rssMb, target: TARGET_RSS_MB, better: 'lower' },
      ],
      args.json,
    );
  } finally {
    await server?.stop();
    await database.drop();
  }
}

const serveAt = args.argv.indexOf('--serve');
if (serveAt >= 0) {
  await serve(args.argv[serveAt + 1]!);
} else {
  await main();
  process.exit(0);
}
