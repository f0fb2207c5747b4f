// A Python producer (Celery 5.2.6) sends with delay(); a Lovage worker in
// protocol 'celery' runs the tasks and Python's AsyncResult.get() reads what it
// stored: values, a TypeScript failure raised in Python, a task the TS worker
// retried twice. Malformed messages on the same queue are dead-lettered with a
// reason while the worker goes on.
import { Redis } from 'ioredis';
import { cleanupPeer, peerConfig, runPythonJson, runPythonModule } from '@lovage/test-support/python-peer';
import { deleteKeysWithPrefix } from '@lovage/test-support/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEnvelope, serializeEnvelope } from '../../src/adapters/celery/kombu-envelope.js';
import { encodeTaskMessage } from '../../src/adapters/celery/task-message.js';
import { currentTask, type Worker } from '../../src/index.js';
import { until } from '../support.js';
import { layoutFor, lovageAppFor, pushTask } from './celery-peer-support.js';

const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

class PaymentDeclined extends Error {
  override name = 'PaymentDeclined';
}

describe('a Lovage worker runs what a Python producer sends', () => {
  const redis = new Redis(redisUrl);
  const config = peerConfig('lovage-worker');
  const layout = layoutFor(config);

  const resultKeys: string[] = [];
  const { app, prefix } = lovageAppFor(config, 'celery-lovage-worker');
  const runs: { task: string; retries: number }[] = [];
  let worker: Worker;

  // The peer project's task names, implemented in TypeScript.
  app.task('peer.describe', (...args: unknown[]) => {
    const ctx = currentTask();
    runs.push({ task: ctx.name, retries: ctx.retries });
    const when = ctx.kwargs.when;
    return {
      args: ctx.args,
      kwargs: ctx.kwargs,
      lastArgumentIsKwargs: JSON.stringify(args[args.length - 1]) === JSON.stringify(ctx.kwargs),
      whenYear: when instanceof Date ? when.getUTCFullYear() : null,
      from: 'typescript',
    };
  });
  app.task('peer.add', (x: number, y: number) => x + y);
  app.task('peer.sleep', (seconds: number) => new Promise((resolve) => setTimeout(() => resolve(seconds), seconds * 1000)));
  // Runs until its time is up or it is revoked (its signal aborts).
  app.task('peer.wait', (seconds: number) => {
    const signal = currentTask().signal;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => resolve(seconds), seconds * 1000);
      signal.addEventListener('abort', () => {
        clearTimeout(timer);
        reject(signal.reason as Error);
      });
    });
  });
  app.task('peer.fail', (message: string) => {
    throw new PaymentDeclined(`declined in TypeScript: ${message}`);
  });
  app.task(
    'peer.retry',
    (times: number) => {
      const ctx = currentTask();
      runs.push({ task: ctx.name, retries: ctx.retries });
      if (ctx.retries < times) throw ctx.retry({ countdown: 200 });
      return ctx.retries + 1;
    },
    { maxRetries: 5 },
  );

  /** Runs a producer snippet; it prints {"ids": [...], ...} and every id's result key is cleaned up. */
  async function python<T extends { ids: string[] }>(code: string): Promise<T> {
    const out = await runPythonJson<T>(code, config, { timeoutMs: 90_000 });
    resultKeys.push(...out.ids.map((id) => layout.resultKey(id)));
    return out;
  }

  beforeAll(async () => {
    worker = app.worker({ maintenanceInterval: 50 });
    await worker.start();
  });

  afterAll(async () => {
    await app.close();
    await deleteKeysWithPrefix(redis, prefix);
    await cleanupPeer(redis, config, resultKeys);
    redis.disconnect();
  });

  it("delay(args, kwargs) runs on the Lovage worker and Python's get(timeout=10) returns its value", async () => {
    const out = await python<{ ids: string[]; value: Record<string, unknown>; state: string }>(`
import datetime, json
from peer_project.tasks import describe
r = describe.delay(2, 'x', when=datetime.datetime(2026, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc), n=1)
value = r.get(timeout=10)
print(json.dumps({'ids': [r.id], 'value': value, 'state': r.state}))
`);
    expect(out.state).toBe('SUCCESS');
    expect(out.value).toEqual({
      args: [2, 'x'],
      kwargs: { when: '2026-01-02T03:04:05Z', n: 1 },
      lastArgumentIsKwargs: true,
      whenYear: 2026,
      from: 'typescript',
    });
  }, 120_000);

  it('apply_async(countdown=1) waits in unacked (parked) and runs once due', async () => {
    const out = await python<{ ids: string[]; value: number; sent: number; done: string; parked: number }>(`
import json, os, time
import redis
from peer_project.tasks import add
sent = time.time()
r = add.apply_async((20, 22), countdown=1)
raw = redis.Redis.from_url(os.environ['LOVAGE_PEER_BROKER_URL'])
parked, deadline = 0, time.time() + 5
# Parked: in unacked with the score eta - visibility timeout (an hour back), not a running delivery's (now).
while not parked and time.time() < deadline and not r.ready():
    scores = raw.zrange(os.environ['LOVAGE_PEER_KEY_PREFIX'] + 'unacked_index', 0, -1, withscores=True)
    parked = sum(1 for _, score in scores if score < time.time() - 3000)
    time.sleep(0.02)
value = r.get(timeout=10)
print(json.dumps({'ids': [r.id], 'value': value, 'sent': sent, 'done': r.date_done.isoformat(), 'parked': parked}))
`);
    expect(out.value).toBe(42);
    expect(out.parked).toBe(1);
    // date_done as Python parses what Lovage wrote (with an offset; a naive one would be UTC).
    expect(Date.parse(out.done.endsWith('Z') || /[+-]\d\d:\d\d$/.test(out.done) ? out.done : `${out.done}Z`)).toBeGreaterThanOrEqual(out.sent * 1000 + 1000);
  }, 120_000);

  it("a failing TypeScript task raises in Python with the TS error's type name and message", async () => {
    const out = await python<{ ids: string[]; raised: string; message: string; traceback: string; state: string }>(`
import json
from peer_project.tasks import fail
r = fail.delay('card 42')
try:
    r.get(timeout=10)
    raised, message = None, None
except Exception as e:
    raised, message = type(e).__name__, str(e)
print(json.dumps({'ids': [r.id], 'raised': raised, 'message': message, 'traceback': r.traceback, 'state': r.state}))
`);
    expect(out).toMatchObject({ raised: 'PaymentDeclined', message: 'declined in TypeScript: card 42', state: 'FAILURE' });
    expect(out.traceback).toContain('PaymentDeclined: declined in TypeScript: card 42');
    expect(out.traceback).toContain('lovage-worker-for-python.test.ts');
  }, 120_000);

  it("apply_async(time_limit=1) is the TS run's hard limit: Python raises TimeLimitExceeded", async () => {
    const out = await python<{ ids: string[]; raised: string }>(`
import json
from peer_project.tasks import sleep
r = sleep.apply_async((5,), time_limit=1)
try:
    r.get(timeout=10)
    raised = None
except Exception as e:
    raised = type(e).__name__
print(json.dumps({'ids': [r.id], 'raised': raised}))
`);
    // Without the limit the task would return 5 after five seconds, well within get(timeout=10).
    expect(out.raised).toBe('TimeLimitExceeded');
  }, 120_000);

  it('a message whose expires has passed is not run: Python reads REVOKED and raises TaskRevokedError("expired")', async () => {
    const before = runs.length;
    const out = await python<{ ids: string[]; raised: string; message: string; state: string }>(`
import datetime, json
from peer_project.tasks import describe
r = describe.apply_async(('late',), expires=datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=5))
try:
    r.get(timeout=10)
    raised, message = None, None
except Exception as e:
    raised, message = type(e).__name__, str(e)
print(json.dumps({'ids': [r.id], 'raised': raised, 'message': message, 'state': r.state}))
`);
    expect(out).toMatchObject({ raised: 'TaskRevokedError', message: 'expired', state: 'REVOKED' });
    expect(runs.length).toBe(before);
  }, 120_000);

  it('a task the TS worker retries twice (re-published with retries + 1 and an eta) then succeeds for Python', async () => {
    const before = runs.filter((r) => r.task === 'peer.retry').length;
    const out = await python<{ ids: string[]; value: number; state: string }>(`
import json
from peer_project.tasks import retry
r = retry.delay(2)
value = r.get(timeout=10)
print(json.dumps({'ids': [r.id], 'value': value, 'state': r.state}))
`);
    expect(out).toMatchObject({ value: 3, state: 'SUCCESS' });
    expect(runs.filter((r) => r.task === 'peer.retry').slice(before).map((r) => r.retries)).toEqual([0, 1, 2]);
  }, 120_000);

  it('dead-letters malformed messages on the queue with a reason each and goes on running Python tasks', async () => {
    const deadBefore = worker.stats.deadLettered;
    await redis.lpush(layout.queueKey(config.queue), '{"body": truncated');
    await pushTask(
      redis,
      layout,
      buildEnvelope({
        bodyText: '[[1, 2], {}]',
        headers: { lang: 'py', task: 'peer.describe', id: 'two-element-body' },
        exchange: '',
        routingKey: config.queue,
        deliveryMode: 2,
      }),
    );
    const noDeliveryInfo = JSON.parse(serializeEnvelope(encodeTaskMessage({ id: 'no-delivery-info', task: 'peer.describe', queue: config.queue, origin: 'py' }, 'kombu-5.2'))) as {
      properties: Record<string, unknown>;
    };
    delete noDeliveryInfo.properties.delivery_info;
    await redis.lpush(layout.queueKey(config.queue), JSON.stringify(noDeliveryInfo));
    await pushTask(redis, layout, encodeTaskMessage({ id: 'not-registered', task: 'peer.nowhere', queue: config.queue, origin: 'py' }, 'kombu-5.2'));
    const out = await python<{ ids: string[]; value: Record<string, unknown> }>(`
import json
from peer_project.tasks import describe
r = describe.delay('after the bad ones')
print(json.dumps({'ids': [r.id], 'value': r.get(timeout=10)}))
`);
    expect(out.value).toMatchObject({ args: ['after the bad ones'], from: 'typescript' });
    await until(() => worker.stats.deadLettered === deadBefore + 4);
    const dead = await app.queues.deadLetters(config.queue);
    expect(dead.map((d) => [d.id, d.reason]).sort()).toEqual(
      [
        ['', 'malformed message: invalid JSON'],
        ['no-delivery-info', 'malformed message: properties.delivery_info: missing'],
        ['not-registered', 'unknown task "peer.nowhere"'],
        ['two-element-body', 'malformed message: body: has 2 element(s); protocol v2 needs exactly [args, kwargs, embed]'],
      ].sort(),
    );
    expect(worker.running).toBe(true);
    // The result is stored before the message is acknowledged (by either language): wait for the ack.
    await expect.poll(() => redis.hlen(layout.unackedKey), { timeout: 30_000 }).toBe(0);
  }, 120_000);

  it('`celery inspect ping` from Python reaches the Lovage worker through the pidbox', async () => {
    const { stdout } = await runPythonModule('celery', config, {
      args: ['-A', 'peer_project', 'inspect', 'ping', '-d', worker.hostname, '-j', '-t', '10'],
      timeoutMs: 90_000,
    });
    expect(JSON.parse(stdout.trim())).toEqual({ [worker.hostname]: { ok: 'pong' } });
  }, 120_000);

  it("Python's inspect sees a running TS task in Celery's shapes, and control.revoke(terminate=True) stops it: Python reads REVOKED", async () => {
    const host = JSON.stringify(worker.hostname);
    const out = await python<{
      ids: string[];
      active: Record<string, unknown>[];
      registered: string[];
      pool: Record<string, unknown>;
      queues: string[];
      raised: string | null;
      state: string;
    }>(`
import json, time
from peer_project.celery_app import app
host = ${host}
r = app.send_task('peer.wait', args=[120])
inspect = app.control.inspect(destination=[host], timeout=10)
active, deadline = [], time.time() + 60
while time.time() < deadline:
    active = (inspect.active() or {}).get(host) or []
    if any(task['id'] == r.id for task in active):
        break
    time.sleep(0.1)
registered = (inspect.registered() or {}).get(host)
stats = (inspect.stats() or {}).get(host)
queues = (inspect.active_queues() or {}).get(host)
app.control.revoke(r.id, terminate=True)
raised = None
try:
    r.get(timeout=30)
except Exception as e:
    raised = type(e).__name__
print(json.dumps({'ids': [r.id], 'active': active, 'registered': registered, 'pool': stats['pool'],
                  'queues': [q['name'] for q in queues], 'raised': raised, 'state': r.state}))
`);
    expect(out.active).toEqual([expect.objectContaining({ id: out.ids[0], name: 'peer.wait', hostname: worker.hostname, acknowledged: true })]);
    expect(out.registered).toEqual(expect.arrayContaining(['peer.wait', 'peer.add', 'peer.describe']));
    expect(out.pool).toMatchObject({ 'max-concurrency': worker.concurrency });
    expect(out.queues).toEqual([config.queue]);
    expect(out.raised).toBe('TaskRevokedError');
    expect(out.state).toBe('REVOKED');
  }, 150_000);

  it("Python's event receiver sees the Lovage worker alive from its heartbeats and its task succeed, in celery.events.State", async () => {
    const host = JSON.stringify(worker.hostname);
    const out = await python<{
      ids: string[];
      value: number;
      worker: { alive: boolean; sw_ident: string; freq: number; processed: number } | null;
      task: { state: string; name: string; result: string; runtime: number; worker: string | null } | null;
      described: { args: string; result: string } | null;
      types: string[];
    }>(`
import json, threading, time
from peer_project.celery_app import app
from peer_project.tasks import add, describe
host = ${host}
state = app.events.State()
types = []
def on_event(event):
    types.append(event['type'])
    state.event(event)
with app.connection() as connection:
    receiver = app.events.Receiver(connection, handlers={'*': on_event})
    threading.Thread(target=lambda: receiver.capture(limit=None, timeout=None, wakeup=False), daemon=True).start()
    deadline = time.time() + 60
    # Listening once a heartbeat of the Lovage worker (every 2 s) arrives.
    while host not in state.workers and time.time() < deadline:
        time.sleep(0.05)
    r = add.delay(40, 2)
    value = r.get(timeout=10)
    d = describe.delay("it's", None)
    d.get(timeout=10)
    done = lambda id: id in state.tasks and state.tasks[id].state == 'SUCCESS'
    while not (done(r.id) and done(d.id)) and time.time() < deadline:
        time.sleep(0.05)
    receiver.should_stop = True
    w, t, dt = state.workers.get(host), state.tasks.get(r.id), state.tasks.get(d.id)
    print(json.dumps({
        'ids': [r.id, d.id], 'value': value, 'types': sorted(set(types)),
        'described': {'args': dt.args, 'result': dt.result} if dt else None,
        'worker': {'alive': w.alive, 'sw_ident': w.sw_ident, 'freq': w.freq, 'processed': w.processed} if w else None,
        'task': {'state': t.state, 'name': t.name, 'result': t.result, 'runtime': t.runtime,
                 'worker': t.worker.hostname if t.worker else None} if t else None,
    }))
`);
    expect(out.value).toBe(42);
    expect(out.worker).toMatchObject({ alive: true, sw_ident: 'lovage', freq: 2 });
    expect(out.task).toMatchObject({ state: 'SUCCESS', name: 'peer.add', result: '42', worker: worker.hostname });
    expect(out.task?.runtime).toBeGreaterThanOrEqual(0);
    // Args and results in Python's repr(), as a Python worker's events carry them (not the JSON of Lovage's own events).
    expect(out.described).toEqual({
      args: `["it's", None]`,
      result: `{'args': ["it's", None], 'kwargs': {}, 'lastArgumentIsKwargs': False, 'whenYear': None, 'from': 'typescript'}`,
    });
    expect(out.types).toEqual(expect.arrayContaining(['worker-heartbeat', 'task-received', 'task-started', 'task-succeeded']));
  }, 150_000);
});
