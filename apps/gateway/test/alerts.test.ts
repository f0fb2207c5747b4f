// Alerts end to end inside the gateway: rules created through the API, evaluated
// against a real broker and database, notifying a real HTTP receiver. Each kind
// fires once and resolves once however often it is evaluated; two gateways on
// one database notify once between them; webhook URLs never come back in full.
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { testRedisUrl } from '@lovage/test-support';
import { postgresTest } from '@lovage/test-support/postgres';
import { describe, expect } from 'vitest';
import { AlertEvaluator } from '../src/alerts/evaluator.js';
import type { AlertEvent, AlertRule, AlertRuleBody } from '../src/alerts/schemas.js';
import { maskWebhookUrl } from '../src/alerts/webhook.js';
import type { Gateway } from '../src/server.js';
import pino from 'pino';
import { startStack, taskInState, until } from './actions-support.js';
import { ADMIN, errorOf, gatewayProcess, signedIn, startGateway, type Client } from './support.js';

interface Received {
  path: string;
  body: Record<string, unknown>;
}

/**
 * A webhook receiver on a free port: records each POST it answers; answers 500 to the
 * first `failFirst` of them; with `hold`, answers none (they go to `held`) until `release()`.
 */
async function startReceiver(options: { failFirst?: number; hold?: boolean } = {}) {
  const received: Received[] = [];
  const held: Received[] = [];
  let failures = options.failFirst ?? 0;
  let holding = options.hold ?? false;
  const server: Server = createServer((request: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (holding) {
        held.push({ path: request.url ?? '', body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown> });
        return;
      }
      if (failures > 0) {
        failures -= 1;
        response.writeHead(500).end('try later');
        return;
      }
      received.push({
        path: request.url ?? '',
        body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>,
      });
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    received,
    held,
    release: () => {
      holding = false;
    },
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    /** Notifications of one status (firing, resolved, test) that reached `path`. */
    of: (path: string, status: string) =>
      received.filter(
        (entry) => entry.path === path && (entry.body.status ?? statusOfSlack(entry.body)) === status,
      ),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function statusOfSlack(body: Record<string, unknown>): string | undefined {
  const text = typeof body.text === 'string' ? body.text : '';
  return /^\[(FIRING|RESOLVED|TEST)\]/.exec(text)?.[1]?.toLowerCase();
}

const fastDelivery = { timeoutMs: 2_000, attempts: 3, backoffMs: 20 };

async function createRule(admin: Client, body: AlertRuleBody): Promise<AlertRule> {
  const response = await admin.request('POST', '/api/v1/alerts/rules', { body });
  if (response.status !== 201)
    throw new Error(`rule create failed: ${response.status} ${await response.text()}`);
  return (await response.json()) as AlertRule;
}

async function retire(admin: Client, rule: AlertRule): Promise<void> {
  expect((await admin.request('DELETE', `/api/v1/alerts/rules/${rule.id}`)).status).toBe(204);
}

async function firingNow(client: Client): Promise<AlertEvent[]> {
  return ((await (await client.request('GET', '/api/v1/alerts/firing')).json()) as { firing: AlertEvent[] })
    .firing;
}

/** Evaluates until the receiver got `count` notifications of `status` at `path` (evaluating again after that changes nothing). */
async function evaluateUntil(
  gateway: Gateway,
  receiver: Awaited<ReturnType<typeof startReceiver>>,
  path: string,
  status: string,
  now?: () => number,
) {
  await until(async () => {
    await gateway.alerts.runOnce(now?.());
    return receiver.of(path, status).length > 0;
  }, `a ${status} notification at ${path}`);
}

describe('alerts', () => {
  postgresTest(
    'every kind of rule fires once and resolves once, however often it is evaluated',
    async ({ postgres }) => {
      const receiver = await startReceiver();
      const stack = await startStack(postgres.url, 'gw-alerts', {
        alerts: { evaluate: false, delivery: fastDelivery },
      });
      try {
        const { gateway, producer, app } = stack;
        const admin = await signedIn(gateway, 'admin');
        const queue = `alerts-${randomUUID().slice(0, 8)}`;

        // Queue depth and oldest-waiting: three tasks wait in a queue no worker reads.
        await createRule(admin, {
          name: 'Backlog',
          rule: { kind: 'queue_depth', queue, above: 2 },
          webhookUrl: receiver.url('/depth'),
        });
        await createRule(admin, {
          name: 'Stale',
          rule: { kind: 'oldest_waiting', queue, aboveSeconds: 1 },
          webhookUrl: receiver.url('/oldest'),
        });
        for (let n = 0; n < 3; n++) await producer.sendTask('tests.add', [n, n], { queue });
        await evaluateUntil(gateway, receiver, '/depth', 'firing');
        await evaluateUntil(gateway, receiver, '/oldest', 'firing');
        const depthFiring = receiver.of('/depth', 'firing')[0]!.body;
        expect(depthFiring).toMatchObject({
          version: 1,
          source: 'lovage',
          status: 'firing',
          subject: queue,
          value: 3,
          rule: { name: 'Backlog', kind: 'queue_depth' },
        });
        expect(depthFiring.dashboardUrl).toBe('http://dashboard.test:3000/alerts');
        const viewer = await signedIn(gateway, 'viewer');
        expect((await firingNow(viewer)).map((event) => event.ruleName).sort()).toEqual(['Backlog', 'Stale']);
        await gateway.alerts.runOnce();
        await gateway.alerts.runOnce();
        await app.queues.purge(queue);
        await evaluateUntil(gateway, receiver, '/depth', 'resolved');
        await evaluateUntil(gateway, receiver, '/oldest', 'resolved');
        await gateway.alerts.runOnce();

        // Failure rate: three failed runs of a task, from a real worker through the ingest's metric buckets.
        const failing = await createRule(admin, {
          name: 'Failing adds',
          rule: { kind: 'failure_rate', task: 'tests.fail', percent: 50, windowMinutes: 5, minCount: 3 },
          webhookFormat: 'slack',
          webhookUrl: receiver.url('/failures'),
        });
        await stack.startWorker({ hostname: `alerts-worker-${randomUUID().slice(0, 6)}` });
        const failed = await Promise.all(
          ['a', 'b', 'c'].map((message) => producer.sendTask('tests.fail', [message])),
        );
        for (const task of failed) await taskInState(gateway, task.id, ['FAILURE']);
        await evaluateUntil(gateway, receiver, '/failures', 'firing');
        const slack = receiver.of('/failures', 'firing')[0]!.body as { text: string; blocks: unknown[] };
        expect(slack.text).toMatch(
          /^\[FIRING\] Failing adds: tests\.fail — 3 of 3 runs of tests\.fail failed/,
        );
        expect(slack.blocks.length).toBeGreaterThan(0);
        await gateway.alerts.runOnce();
        // Once the failures leave the window, it resolves.
        const later = () => Date.now() + 7 * 60_000;
        await evaluateUntil(gateway, receiver, '/failures', 'resolved', later);
        await gateway.alerts.runOnce(later());
        // Evaluated at the real time again, the failures would be back in its window: retire it.
        await retire(admin, failing);

        // Dead letters growing: rejected tasks go to the dead-letter queue.
        const dead = await createRule(admin, {
          name: 'Dead letters',
          rule: { kind: 'dead_letters', above: 1, windowMinutes: 10 },
          webhookUrl: receiver.url('/dead'),
        });
        const rejected = await Promise.all(
          ['x', 'y'].map((reason) => producer.sendTask('tests.reject', [reason])),
        );
        for (const task of rejected) await taskInState(gateway, task.id, ['REJECTED']);
        await evaluateUntil(gateway, receiver, '/dead', 'firing');
        expect(receiver.of('/dead', 'firing')[0]!.body).toMatchObject({ subject: 'default', value: 2 });
        await gateway.alerts.runOnce();
        const muchLater = () => Date.now() + 11 * 60_000;
        await evaluateUntil(gateway, receiver, '/dead', 'resolved', muchLater);
        await gateway.alerts.runOnce(muchLater());
        await retire(admin, dead);

        // A worker offline: the worker stops (its offline event reaches the database), then comes back.
        const hostname = `alerts-offline-${randomUUID().slice(0, 6)}`;
        await createRule(admin, {
          name: 'Worker down',
          rule: { kind: 'worker_offline', worker: hostname },
          webhookUrl: receiver.url('/worker'),
        });
        const watched = await stack.startWorker({ hostname, queues: [queue] });
        await until(
          async () => (await gateway.prisma.worker.findUnique({ where: { hostname } }))?.online,
          'the watched worker online',
        );
        await gateway.alerts.runOnce();
        expect(receiver.of('/worker', 'firing')).toHaveLength(0);
        await watched.close();
        await until(
          async () => (await gateway.prisma.worker.findUnique({ where: { hostname } }))?.online === false,
          'the watched worker offline',
        );
        await evaluateUntil(gateway, receiver, '/worker', 'firing');
        await gateway.alerts.runOnce();
        await stack.startWorker({ hostname, queues: [queue] });
        await evaluateUntil(gateway, receiver, '/worker', 'resolved');

        // A schedule late: nothing runs beat here, so its next due time passes unfired.
        const schedule = `alerts-late-${randomUUID().slice(0, 6)}`;
        await app.schedules.upsert(
          schedule,
          { task: 'tests.add', schedule: '1h', args: [1, 2] },
          { actor: 'test' },
        );
        await createRule(admin, {
          name: 'Late',
          rule: { kind: 'schedule_late', schedule, graceSeconds: 60 },
          webhookUrl: receiver.url('/late'),
        });
        await gateway.alerts.runOnce();
        expect(receiver.of('/late', 'firing')).toHaveLength(0);
        const afterDue = () => Date.now() + 62 * 60_000;
        await evaluateUntil(gateway, receiver, '/late', 'firing', afterDue);
        await gateway.alerts.runOnce(afterDue());
        await app.schedules.disable(schedule, { actor: 'test' });
        await evaluateUntil(gateway, receiver, '/late', 'resolved', afterDue);
        await gateway.alerts.runOnce(afterDue());

        // Once each, no more.
        for (const path of ['/depth', '/oldest', '/failures', '/dead', '/worker', '/late']) {
          expect(receiver.of(path, 'firing'), `${path} firing`).toHaveLength(1);
          expect(receiver.of(path, 'resolved'), `${path} resolved`).toHaveLength(1);
        }
        expect(await firingNow(viewer)).toEqual([]);
        const events = (
          (await (await viewer.request('GET', '/api/v1/alerts/events?limit=50')).json()) as {
            events: AlertEvent[];
          }
        ).events;
        expect(events.filter((event) => event.status !== 'test')).toHaveLength(12);
        expect(events.every((event) => event.delivery === 'delivered' && event.attempts === 1)).toBe(true);
        const failingFiring = events.find(
          (event) => event.ruleId === failing.id && event.status === 'firing',
        )!;
        expect(failingFiring.resolvedAt).not.toBeNull();
      } finally {
        await stack.close();
        await receiver.close();
      }
    },
  );

  postgresTest(
    'two gateways evaluating the same database send one notification, not two',
    async ({ postgres }) => {
      const receiver = await startReceiver();
      const gatewayA = await startGateway(postgres.url, {
        alerts: { evaluate: false, delivery: fastDelivery },
      });
      const gatewayB = await startGateway(postgres.url, {
        alerts: { evaluate: false, delivery: fastDelivery },
      });
      try {
        const admin = await signedIn(gatewayA, 'admin');
        await createRule(admin, {
          name: 'Any worker down',
          rule: { kind: 'worker_offline' },
          webhookUrl: receiver.url('/any'),
        });
        const hosts = Array.from({ length: 5 }, (_, n) => `w${n}-${randomUUID().slice(0, 6)}`);
        await gatewayA.prisma.worker.createMany({
          data: hosts.map((hostname) => ({ hostname, online: false, lastHeartbeat: new Date() })),
        });
        // Both gateways' passes at once, several times over: each worker fires once between them.
        for (let round = 0; round < 4; round++)
          await Promise.all([gatewayA.alerts.runOnce(), gatewayB.alerts.runOnce()]);
        expect(
          receiver
            .of('/any', 'firing')
            .map((entry) => entry.body.subject)
            .sort(),
        ).toEqual([...hosts].sort());
        await gatewayA.prisma.worker.updateMany({
          where: { hostname: { in: hosts } },
          data: { online: true },
        });
        for (let round = 0; round < 4; round++)
          await Promise.all([gatewayA.alerts.runOnce(), gatewayB.alerts.runOnce()]);
        expect(
          receiver
            .of('/any', 'resolved')
            .map((entry) => entry.body.subject)
            .sort(),
        ).toEqual([...hosts].sort());
        expect(receiver.received).toHaveLength(10);
      } finally {
        await gatewayB.close();
        await gatewayA.close();
        await receiver.close();
      }
    },
  );

  postgresTest(
    'a notification left pending by a killed gateway process is delivered once by another gateway after its claim lapses',
    async ({ postgres }) => {
      // Gateway A's requests are never answered: A is killed while it waits.
      const receiver = await startReceiver({ hold: true });
      const children: ChildProcess[] = [];
      const gatewayB = await startGateway(postgres.url, { alerts: { evaluate: false, delivery: fastDelivery } });
      try {
        const admin = await signedIn(gatewayB, 'admin');
        await createRule(admin, {
          name: 'Crash-safe',
          rule: { kind: 'worker_offline' },
          webhookUrl: receiver.url('/crash'),
        });
        const hostname = `crashed-${randomUUID().slice(0, 6)}`;
        await gatewayB.prisma.worker.create({ data: { hostname, online: false, lastHeartbeat: new Date() } });

        // Gateway A, a process of its own, evaluating every second with short webhook attempts.
        await gatewayProcess(
          [postgres.url, testRedisUrl, '-', `lovage-test:live:${randomUUID()}`, ADMIN.email, ADMIN.password],
          children,
          { LOVAGE_ALERT_INTERVAL_MS: '1000', LOVAGE_ALERT_WEBHOOK_TIMEOUT_MS: '1000' },
        );
        const gatewayA = children[0]!;
        await until(() => receiver.held.length > 0, "gateway A's firing notification at the receiver", 60_000);
        expect(receiver.held[0]!.body).toMatchObject({ status: 'firing', subject: hostname });
        gatewayA.kill('SIGKILL');
        await new Promise((resolve) => (gatewayA.exitCode !== null || gatewayA.signalCode !== null ? resolve(null) : gatewayA.once('exit', resolve)));
        receiver.release();

        // The move is recorded, its notification pending under A's claim.
        const [event] = await gatewayB.prisma.alertEvent.findMany({ where: { subject: hostname } });
        expect(event).toMatchObject({ status: 'firing', delivery: 'pending' });
        expect(event!.claimedUntil!.getTime()).toBeGreaterThan(Date.now());
        // While the claim holds, B leaves it alone.
        await gatewayB.alerts.runOnce();
        expect(receiver.received).toHaveLength(0);
        // A notification left pending before claims existed, of a rule deleted since: given up, not sent.
        const orphan = await gatewayB.prisma.alertEvent.create({
          data: { ruleId: randomUUID(), ruleName: 'Deleted', kind: 'queue_depth', subject: 'q', status: 'firing', message: 'm', at: new Date(Date.now() - 3_600_000) },
        });

        // Two evaluators on B's database at once: one of them delivers it, once the claim lapses.
        const evaluatorC = new AlertEvaluator(gatewayB.prisma, null, pino({ level: 'silent' }), { delivery: fastDelivery });
        await until(
          async () => {
            await Promise.all([gatewayB.alerts.runOnce(), evaluatorC.runOnce()]);
            return receiver.received.length > 0;
          },
          'the pending notification redelivered',
          60_000,
        );
        await Promise.all([gatewayB.alerts.runOnce(), evaluatorC.runOnce()]);
        expect(receiver.received.map((entry) => [entry.path, entry.body.status, entry.body.subject])).toEqual([
          ['/crash', 'firing', hostname],
        ]);
        const delivered = await gatewayB.prisma.alertEvent.findUniqueOrThrow({ where: { id: event!.id } });
        expect(delivered).toMatchObject({ delivery: 'delivered', attempts: 1, claimedUntil: null });
        expect(delivered.deliveredAt!.getTime()).toBeGreaterThanOrEqual(event!.claimedUntil!.getTime());
        expect(await gatewayB.prisma.alertEvent.findUniqueOrThrow({ where: { id: orphan.id } })).toMatchObject({
          delivery: 'failed',
          deliveryError: 'the rule was deleted before its notification was delivered',
        });
      } finally {
        for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        await gatewayB.close();
        await receiver.close();
      }
    },
    120_000,
  );

  postgresTest(
    'webhook URLs are masked in every answer and the audit log, and an edit without one keeps it',
    async ({ postgres }) => {
      const receiver = await startReceiver({ failFirst: 1 });
      const gateway = await startGateway(postgres.url, {
        alerts: { evaluate: false, delivery: fastDelivery },
      });
      try {
        const admin = await signedIn(gateway, 'admin');
        const secret = `/services/T000/B000/${randomUUID().replace(/-/g, '')}`;
        const created = await createRule(admin, {
          name: 'Slack',
          rule: { kind: 'queue_depth', above: 10 },
          webhookFormat: 'slack',
          webhookUrl: receiver.url(secret),
        });
        expect(created.webhookUrlMasked).toBe(maskWebhookUrl(receiver.url(secret)));
        expect(created.webhookUrlMasked).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/…\/\*\*\*\*[0-9a-f]{4}$/);
        expect(maskWebhookUrl('https://hooks.slack.com/services/T1/B2/abcdefgh1234abcd')).toBe(
          'https://hooks.slack.com/…/****abcd',
        );
        expect(maskWebhookUrl('https://user:pass@example.com/hook?token=sekrit99')).toBe(
          'https://example.com/…/****it99',
        );

        const edited = await admin.request('PUT', `/api/v1/alerts/rules/${created.id}`, {
          body: {
            name: 'Slack renamed',
            rule: { kind: 'queue_depth', above: 20 },
            webhookFormat: 'slack',
            webhookUrl: '',
          },
        });
        expect(edited.status).toBe(200);
        // The test send still reaches the stored URL, after one refused attempt (retried).
        const test = await admin.request('POST', `/api/v1/alerts/rules/${created.id}/test`);
        expect(test.status).toBe(200);
        const { event } = (await test.json()) as { event: AlertEvent };
        expect(event).toMatchObject({ status: 'test', delivery: 'delivered', attempts: 2 });
        expect(receiver.of(secret, 'test')).toHaveLength(1);

        const answers = await Promise.all(
          [
            '/api/v1/alerts/rules',
            '/api/v1/alerts/events',
            '/api/v1/audit?limit=100',
            '/api/v1/openapi.json',
          ].map(async (path) => (await admin.request('GET', path)).text()),
        );
        const hidden = secret.slice(secret.lastIndexOf('/') + 1, -4);
        for (const text of answers) expect(text).not.toContain(hidden);
        const audit = JSON.parse(answers[2]!) as { entries: { action: string; outcome: string }[] };
        expect(
          audit.entries
            .filter((entry) => entry.action.startsWith('alert.'))
            .map((entry) => entry.action)
            .sort(),
        ).toEqual(['alert.create', 'alert.test', 'alert.update']);

        // A failed delivery is recorded with its error after every attempt.
        await receiver.close();
        const failed = (await (
          await admin.request('POST', `/api/v1/alerts/rules/${created.id}/test`)
        ).json()) as { event: AlertEvent };
        expect(failed.event).toMatchObject({ delivery: 'failed', attempts: 3 });
        expect(failed.event.deliveryError).toBeTruthy();
      } finally {
        await gateway.close();
        await receiver.close().catch(() => undefined);
      }
    },
  );

  postgresTest('rules are validated, and only an admin changes them', async ({ postgres }) => {
    const gateway = await startGateway(postgres.url, { alerts: { evaluate: false, delivery: fastDelivery } });
    try {
      const admin = await signedIn(gateway, 'admin');
      const operator = await signedIn(gateway, 'operator');
      const good = {
        name: 'Depth',
        rule: { kind: 'queue_depth', above: 5 },
        webhookUrl: 'https://hooks.example.com/abc',
      };
      const cases: [unknown, string, RegExp][] = [
        [{ ...good, webhookUrl: 'ftp://hooks.example.com/abc' }, 'webhookUrl', /http:\/\/ or https:\/\//],
        [{ ...good, webhookUrl: 'not a url' }, 'webhookUrl', /must be a URL/],
        [
          { ...good, rule: { kind: 'failure_rate', task: 'x', percent: 150, windowMinutes: 5, minCount: 1 } },
          'rule.percent',
          /at most 100/,
        ],
        [{ ...good, rule: { kind: 'queue_depth', above: -1 } }, 'rule.above', /at least 0/],
        [{ ...good, rule: { kind: 'disk_full' } }, 'rule.kind', /./],
        [{ ...good, name: '' }, 'name', /name is required/],
      ];
      for (const [body, field, message] of cases) {
        const response = await admin.request('POST', '/api/v1/alerts/rules', { body });
        expect(response.status, JSON.stringify(body)).toBe(400);
        const error = await errorOf(response);
        expect(error.field).toBe(field);
        expect(error.message).toMatch(message);
      }
      expect((await operator.request('POST', '/api/v1/alerts/rules', { body: good })).status).toBe(403);
      const rule = await createRule(admin, good as AlertRuleBody);
      expect((await operator.request('DELETE', `/api/v1/alerts/rules/${rule.id}`)).status).toBe(403);
      expect((await operator.request('POST', `/api/v1/alerts/rules/${rule.id}/test`)).status).toBe(403);
      const listed = (await (await operator.request('GET', '/api/v1/alerts/rules')).json()) as {
        rules: AlertRule[];
      };
      expect(listed.rules.map((entry) => entry.name)).toEqual(['Depth']);
      // A token with the read scope lists the rules but cannot change them, even on an admin token.
      const token = (await (
        await admin.request('POST', '/api/v1/tokens', {
          body: { name: 'reader', role: 'admin', scopes: ['read'] },
        })
      ).json()) as { token: string };
      const bearer = { authorization: `Bearer ${token.token}` };
      expect((await fetch(`${gateway.url}/api/v1/alerts/rules`, { headers: bearer })).status).toBe(200);
      expect(
        (await fetch(`${gateway.url}/api/v1/alerts/rules/${rule.id}`, { method: 'DELETE', headers: bearer }))
          .status,
      ).toBe(403);
      expect((await admin.request('DELETE', `/api/v1/alerts/rules/${rule.id}`)).status).toBe(204);
      const denied = (await (await admin.request('GET', '/api/v1/audit?action=alert.create')).json()) as {
        entries: { outcome: string }[];
      };
      expect(denied.entries.map((entry) => entry.outcome).sort()).toEqual(['denied', 'ok']);
    } finally {
      await gateway.close();
    }
  });
});

// The evaluator also runs without a gateway around it (embedders): an unknown kind in the table is skipped, not fatal.
describe('alert evaluator', () => {
  postgresTest('skips a stored rule that does not parse and evaluates the others', async ({ postgres }) => {
    const gateway = await startGateway(postgres.url, { alerts: { evaluate: false } });
    try {
      await gateway.prisma.alertRule.create({
        data: {
          id: randomUUID(),
          name: 'broken',
          kind: 'nope',
          params: { kind: 'nope' },
          webhookUrl: 'http://127.0.0.1:9/x',
          webhookFormat: 'json',
        },
      });
      const evaluator = new AlertEvaluator(gateway.prisma, null, pino({ level: 'silent' }), {
        delivery: fastDelivery,
      });
      expect(await evaluator.runOnce()).toEqual({ fired: 0, resolved: 0 });
    } finally {
      await gateway.close();
    }
  });
});
