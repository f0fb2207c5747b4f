// /alerts: alert rules (everyone reads them, an admin changes them, every change
// audited), what fires now and the past notifications, and a test send. The
// webhook URL goes in but never comes out: answers carry it masked, and an edit
// that leaves it out keeps the stored one.
import { randomUUID } from 'node:crypto';
import type { AlertRule as RuleRow } from '../generated/prisma/client.js';
import { actorName } from '../auth/principal.js';
import { NotFoundError } from '../errors.js';
import { defineRoute, type RouteRegistrar } from '../api/route.js';
import { IdParamsSchema } from '../api/schemas.js';
import { toAlertEvent, type AlertEvaluator } from './evaluator.js';
import {
  AlertEventListSchema,
  AlertEventQuerySchema,
  AlertFiringListSchema,
  AlertParamsSchema,
  AlertRuleBodySchema,
  AlertRuleListSchema,
  AlertRuleSchema,
  AlertRuleUpdateSchema,
  AlertTestResultSchema,
  type AlertRule,
} from './schemas.js';
import { maskWebhookUrl } from './webhook.js';

function toAlertRule(row: RuleRow, firing: number): AlertRule {
  return {
    id: row.id,
    name: row.name,
    enabled: row.enabled,
    rule: AlertParamsSchema.parse(row.params),
    webhookFormat: row.webhookFormat as AlertRule['webhookFormat'],
    webhookUrlMasked: maskWebhookUrl(row.webhookUrl),
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    firing,
  };
}

/** What the audit log keeps of a rule: everything but the webhook's secret. */
function auditParams(row: RuleRow) {
  return {
    name: row.name,
    enabled: row.enabled,
    rule: row.params ?? null,
    webhookFormat: row.webhookFormat,
    webhookUrl: maskWebhookUrl(row.webhookUrl),
  };
}

export interface AlertRouteOptions {
  /** Sends test notifications; evaluates the rules when `evaluating`. */
  evaluator: AlertEvaluator;
  /** False when this gateway's evaluation is turned off (another replica may still evaluate). */
  evaluating: boolean;
}

export function registerAlertRoutes(registrar: RouteRegistrar, alerts: AlertRouteOptions): void {
  const { app } = registrar;
  const prisma = app.database.prisma;

  async function firingCounts(): Promise<Map<string, number>> {
    const groups = await prisma.alertState.groupBy({
      by: ['ruleId'],
      where: { firing: true },
      _count: { _all: true },
    });
    return new Map(groups.map((group) => [group.ruleId, group._count._all]));
  }

  async function findRule(id: string): Promise<RuleRow> {
    const row = await prisma.alertRule.findUnique({ where: { id } });
    if (!row) throw new NotFoundError(`No alert rule ${id}`);
    return row;
  }

  defineRoute(registrar, {
    method: 'GET',
    url: '/alerts/rules',
    summary: 'Every alert rule, with how many of its subjects fire now (webhook URLs masked)',
    tag: 'alerts',
    access: 'viewer',
    response: AlertRuleListSchema,
    async handler() {
      const [rows, counts] = await Promise.all([
        prisma.alertRule.findMany({ orderBy: [{ name: 'asc' }, { id: 'asc' }] }),
        firingCounts(),
      ]);
      return {
        rules: rows.map((row) => toAlertRule(row, counts.get(row.id) ?? 0)),
        evaluatedEveryMs: alerts.evaluating ? alerts.evaluator.intervalMs : null,
      };
    },
  });

  defineRoute(registrar, {
    method: 'POST',
    url: '/alerts/rules',
    summary: 'Create an alert rule',
    tag: 'alerts',
    access: 'admin',
    action: 'alert.create',
    body: AlertRuleBodySchema,
    status: 201,
    response: AlertRuleSchema,
    async handler({ request, body, principal }) {
      const row = await prisma.alertRule.create({
        data: {
          id: randomUUID(),
          name: body.name,
          kind: body.rule.kind,
          params: body.rule,
          enabled: body.enabled,
          webhookUrl: body.webhookUrl,
          webhookFormat: body.webhookFormat,
          createdBy: actorName(principal),
        },
      });
      await app.audit.record({
        principal,
        action: 'alert.create',
        target: row.id,
        params: auditParams(row),
        outcome: 'ok',
        ip: request.ip,
      });
      return toAlertRule(row, 0);
    },
  });

  defineRoute(registrar, {
    method: 'PUT',
    url: '/alerts/rules/:id',
    summary: 'Replace an alert rule; leave webhookUrl out to keep the stored one',
    tag: 'alerts',
    access: 'admin',
    action: 'alert.update',
    params: IdParamsSchema,
    body: AlertRuleUpdateSchema,
    response: AlertRuleSchema,
    async handler({ request, params, body, principal }) {
      const before = await findRule(params.id);
      const row = await prisma.alertRule.update({
        where: { id: params.id },
        data: {
          name: body.name,
          kind: body.rule.kind,
          params: body.rule,
          enabled: body.enabled,
          webhookFormat: body.webhookFormat,
          ...(body.webhookUrl === undefined ? {} : { webhookUrl: body.webhookUrl }),
        },
      });
      // A rule of another kind watches other subjects: what the old one had firing is dropped without a notice.
      if (before.kind !== row.kind) await prisma.alertState.deleteMany({ where: { ruleId: row.id } });
      await app.audit.record({
        principal,
        action: 'alert.update',
        target: row.id,
        params: {
          before: auditParams(before),
          after: auditParams(row),
          webhookUrlChanged: body.webhookUrl !== undefined && body.webhookUrl !== before.webhookUrl,
        },
        outcome: 'ok',
        ip: request.ip,
      });
      return toAlertRule(row, (await firingCounts()).get(row.id) ?? 0);
    },
  });

  defineRoute(registrar, {
    method: 'DELETE',
    url: '/alerts/rules/:id',
    summary: 'Delete an alert rule (its past notifications stay in the history)',
    tag: 'alerts',
    access: 'admin',
    action: 'alert.delete',
    params: IdParamsSchema,
    status: 204,
    async handler({ request, params, principal }) {
      const row = await findRule(params.id);
      await prisma.alertRule.delete({ where: { id: params.id } });
      await app.audit.record({
        principal,
        action: 'alert.delete',
        target: params.id,
        params: auditParams(row),
        outcome: 'ok',
        ip: request.ip,
      });
      return undefined;
    },
  });

  defineRoute(registrar, {
    method: 'POST',
    url: '/alerts/rules/:id/test',
    summary: "Send a test notification to the rule's webhook; answers with its delivery",
    tag: 'alerts',
    access: 'admin',
    action: 'alert.test',
    params: IdParamsSchema,
    response: AlertTestResultSchema,
    async handler({ request, params, principal }) {
      const row = await findRule(params.id);
      const event = await alerts.evaluator.test(row);
      await app.audit.record({
        principal,
        action: 'alert.test',
        target: row.id,
        params: { delivery: event.delivery, attempts: event.attempts },
        outcome: 'ok',
        ip: request.ip,
      });
      return { event: toAlertEvent(event) };
    },
  });

  defineRoute(registrar, {
    method: 'GET',
    url: '/alerts/firing',
    summary: 'What fires now, newest first',
    tag: 'alerts',
    access: 'viewer',
    response: AlertFiringListSchema,
    async handler() {
      const states = await prisma.alertState.findMany({
        where: { firing: true, eventId: { not: null } },
        select: { eventId: true },
      });
      const ids = states.map((state) => state.eventId).filter((id): id is bigint => id !== null);
      const rows =
        ids.length === 0
          ? []
          : await prisma.alertEvent.findMany({
              where: { id: { in: ids } },
              orderBy: [{ at: 'desc' }, { id: 'desc' }],
            });
      return { firing: rows.map(toAlertEvent) };
    },
  });

  defineRoute(registrar, {
    method: 'GET',
    url: '/alerts/events',
    summary: 'Past notifications (firing, resolved, test) with their delivery, newest first',
    tag: 'alerts',
    access: 'viewer',
    query: AlertEventQuerySchema,
    response: AlertEventListSchema,
    async handler({ query }) {
      const rows = await prisma.alertEvent.findMany({
        orderBy: [{ at: 'desc' }, { id: 'desc' }],
        take: query.limit,
      });
      return { events: rows.map(toAlertEvent) };
    },
  });
}
