// The seed's scenario across languages. A Django 3.2 project (the django_shop
// fixture, migrated by this test on a fresh Postgres database) signs a user up
// in transaction.atomic() and sends send_welcome_email.delay(user.id) from
// transaction.on_commit; a Lovage worker in protocol 'celery' on the shop's
// queue runs it in TypeScript, reading the user Django wrote, and Django's
// AsyncResult.get(timeout=10) returns its greeting. A rolled-back sign-up sends
// nothing. The shop's payment tasks, also TypeScript, retry and fail where
// Python sees it. Run twice: with kombu's Redis broker, and with RabbitMQ as
// the broker (Celery's queues on a vhost of the test's own) and Redis results.
import pg from 'pg';
import { Redis } from 'ioredis';
import {
  createShopDatabase,
  djangoShell,
  dropShopDatabase,
  manage,
  type DjangoShop,
} from '@lovage/test-support/django-shop';
import { cleanupPeer, peerConfig, type PeerConfig } from '@lovage/test-support/python-peer';
import { createRabbitVhost, type RabbitVhost } from '@lovage/test-support/rabbitmq-vhost';
import { deleteKeysWithPrefix } from '@lovage/test-support/redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { currentTask, type Lovage, type Worker } from '../../src/index.js';
import { layoutFor, lovageAppFor } from './celery-peer-support.js';

const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379/0';

class PaymentDeclined extends Error {
  override name = 'PaymentDeclined';
}

describe.each(['redis', 'rabbitmq'] as const)('Django sends on commit (%s broker), a Lovage worker runs the tasks', (broker) => {
  const redis = new Redis(redisUrl);
  let vhost: RabbitVhost | undefined;
  let config: PeerConfig;
  let app: Lovage;
  let prefix: string;
  const resultKeys: string[] = [];
  /** Every run of the shop's tasks on the TS worker, in order: task name, first argument, attempt. */
  const runs: { task: string; arg: unknown; retries: number }[] = [];
  let database: { name: string; url: string } | undefined;
  let db: pg.Pool;
  let shop: DjangoShop;
  let worker: Worker;

  const record = (): void => {
    const ctx = currentTask();
    runs.push({ task: ctx.name, arg: ctx.args[0], retries: ctx.retries });
  };

  // The shop's task names (accounts/tasks.py declares them), implemented in TypeScript.
  const registerShopTasks = (): void => {
    app.task('accounts.tasks.send_welcome_email', async (userId: number) => {
      record();
      const { rows } = await db.query<{ username: string; email: string }>(
        'SELECT username, email FROM auth_user WHERE id = $1',
        [userId],
      );
      const user = rows[0];
      if (user === undefined) throw new Error(`no user ${userId}`);
      return `Welcome to the shop, ${user.username}! A welcome email is on its way to ${user.email}.`;
    });
    app.task(
      'accounts.tasks.charge_payment',
      (orderId: number, amount: string) => {
        record();
        const ctx = currentTask();
        // The payment gateway times out twice, then takes the charge.
        if (ctx.retries < 2) throw ctx.retry({ countdown: 100 });
        return { orderId, charged: amount, attempts: ctx.retries + 1 };
      },
      { maxRetries: 3 },
    );
    app.task('accounts.tasks.charge_declined', (orderId: number, amount: string) => {
      record();
      throw new PaymentDeclined(`card declined for order ${orderId} (${amount})`);
    });
  };

  /** Runs a Django snippet; it prints {"ids": [...], ...} and every id's result key is cleaned up. */
  async function django<T extends { ids: string[] }>(code: string): Promise<T> {
    const out = await djangoShell<T>(shop, code, { timeoutMs: 90_000 });
    // Celery 5.2.6 cannot prefix result keys: the same on either broker.
    resultKeys.push(...out.ids.map((id) => `celery-task-meta-${id}`));
    return out;
  }

  beforeAll(async () => {
    if (broker === 'rabbitmq') {
      vhost = await createRabbitVhost('django');
      config = peerConfig('django-shop', { brokerUrl: vhost.url, resultBackend: redisUrl });
    } else {
      config = peerConfig('django-shop');
    }
    ({ app, prefix } = lovageAppFor(config, 'celery-django-shop', broker === 'rabbitmq' ? { backend: redisUrl } : {}));
    registerShopTasks();
    database = await createShopDatabase();
    shop = { config, databaseUrl: database.url };
    await manage(shop, ['migrate', '--noinput'], { timeoutMs: 120_000 });
    db = new pg.Pool({ connectionString: database.url, max: 2 });
    // One task at a time: a run that started, started before every later one.
    worker = app.worker({ concurrency: 1, maintenanceInterval: 50 });
    await worker.start();
  }, 180_000);

  afterAll(async () => {
    await app?.close();
    await db?.end();
    if (database !== undefined) await dropShopDatabase(database.name);
    await deleteKeysWithPrefix(redis, prefix);
    await cleanupPeer(redis, config, resultKeys);
    redis.disconnect();
    await vhost?.drop();
  }, 60_000);

  it("sign-up in transaction.atomic(): on_commit sends send_welcome_email(user.id), the TS worker reads the user from Postgres, and Django's get(timeout=10) returns the greeting", async () => {
    const out = await django<{ ids: string[]; userId: number; greeting: string; sentInside: number }>(`
import json
from accounts.signup import sign_up
sent = []
user = sign_up('ada', 'ada@example.com', sent)
greeting = sent[0].get(timeout=10)
print(json.dumps({'ids': [r.id for r in sent], 'userId': user.id, 'greeting': greeting, 'sentInside': len(sent)}))
`);
    expect(out.ids).toHaveLength(1);
    expect(out.greeting).toBe('Welcome to the shop, ada! A welcome email is on its way to ada@example.com.');
    expect(runs.filter((r) => r.task === 'accounts.tasks.send_welcome_email').map((r) => r.arg)).toContain(out.userId);
  }, 120_000);

  it('a rolled-back sign-up sends nothing: the later sign-up (the marker) runs alone, and neither the queue nor unacked holds anything', async () => {
    const before = runs.length;
    const out = await django<{
      ids: string[];
      published: string[];
      rolledBackUsers: number;
      sentOnRollback: number;
      markerId: number;
      greeting: string;
    }>(`
import json
from celery.signals import after_task_publish
from django.contrib.auth.models import User
from accounts.signup import sign_up

published = []
after_task_publish.connect(lambda sender=None, headers=None, **kw: published.append(headers['id']), weak=False)

class CardRejected(Exception):
    pass

sent = []
try:
    sign_up('bob', 'bob@example.com', sent, fail_with=CardRejected('the sign-up form was invalid'))
except CardRejected:
    pass
sent_on_rollback = len(sent)
rolled_back_users = User.objects.filter(username='bob').count()

# The marker: a sign-up that commits, sent after the one that rolled back.
marker = sign_up('carol', 'carol@example.com', sent)
greeting = sent[-1].get(timeout=10)
print(json.dumps({'ids': [r.id for r in sent], 'published': published, 'rolledBackUsers': rolled_back_users,
                  'sentOnRollback': sent_on_rollback, 'markerId': marker.id, 'greeting': greeting}))
`);
    expect(out.sentOnRollback).toBe(0);
    expect(out.rolledBackUsers).toBe(0);
    expect(out.greeting).toContain('carol@example.com');
    // Python published exactly one message, the marker's...
    expect(out.published).toEqual(out.ids);
    expect(out.ids).toHaveLength(1);
    // ...the TS worker (one task at a time, in queue order) ran only the marker since...
    expect(runs.slice(before)).toEqual([{ task: 'accounts.tasks.send_welcome_email', arg: out.markerId, retries: 0 }]);
    // ...and nothing of the shop's is left in the queue or held unacked.
    if (broker === 'rabbitmq') {
      // A passive declare counts what is ready; the worker's own count what it holds unacknowledged.
      await expect.poll(async () => {
        const stats = await app.broker().queueStats(config.queue);
        return { ready: stats.ready, leased: stats.leased };
      }, { timeout: 10_000 }).toEqual({ ready: 0, leased: 0 });
      return;
    }
    const layout = layoutFor(config);
    for (const key of layout.queueKeys(config.queue)) expect(await redis.llen(key)).toBe(0);
    // (The marker's own entry leaves unacked when the worker acks it, just after it stored the result.)
    await expect.poll(() => redis.hlen(layout.unackedKey), { timeout: 10_000 }).toBe(0);
  }, 120_000);

  it("charge_payment is retried twice by the TS worker (ctx.retry), then succeeds: Python's get() returns its value", async () => {
    const before = runs.length;
    const out = await django<{ ids: string[]; value: unknown; state: string; retries: number }>(`
import json
from accounts.tasks import charge_payment
r = charge_payment.delay(1001, '19.90')
value = r.get(timeout=10)
print(json.dumps({'ids': [r.id], 'value': value, 'state': r.state, 'retries': r.retries or 0}))
`);
    expect(out).toMatchObject({ value: { orderId: 1001, charged: '19.90', attempts: 3 }, state: 'SUCCESS' });
    expect(runs.slice(before).map((r) => r.retries)).toEqual([0, 1, 2]);
  }, 120_000);

  it("charge_declined fails in TS: Python's get() raises with the TS error's name and message", async () => {
    const out = await django<{ ids: string[]; raised: string; message: string; state: string }>(`
import json
from accounts.tasks import charge_declined
r = charge_declined.delay(1002, '5.00')
try:
    r.get(timeout=10)
    raised, message = None, None
except Exception as e:
    raised, message = type(e).__name__, str(e)
print(json.dumps({'ids': [r.id], 'raised': raised, 'message': message, 'state': r.state}))
`);
    expect(out).toEqual({
      ids: out.ids,
      raised: 'PaymentDeclined',
      message: 'card declined for order 1002 (5.00)',
      state: 'FAILURE',
    });
  }, 120_000);
});
