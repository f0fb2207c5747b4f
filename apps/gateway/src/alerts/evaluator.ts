// The alert evaluator: every interval it reads each rule's current breaches and
// moves each (rule, subject) between resolved and firing, notifying the rule's
// webhook once per move.
//
// Several gateways may run it on one database at once. Nothing elects a leader:
// a move is one guarded statement (an upsert whose update only applies WHERE the
// row is not firing yet; an update only WHERE it still fires with the same event),
// so when two gateways see the same breach, Postgres lets exactly one of them make
// the move, and only the one that made it records the event and notifies.
//
// Delivery survives a crash: the event row is written in the move's transaction,
// pending and claimed by the mover for a lease longer than a delivery can take
// (every attempt timing out, with the pauses between). A gateway that dies before
// recording the outcome leaves the row pending; once its claim lapses, the next
// pass of any gateway claims it (a guarded UPDATE, so one claimer at a time) and
// delivers it. A notification therefore arrives at least once (twice only when a
// gateway died after the receiver answered), and never from two gateways at once.
import type { Lovage } from '@lovage/engine';
import type { Logger } from 'pino';
import type {
  AlertEvent as EventRow,
  AlertRule as RuleRow,
  Prisma,
  PrismaClient,
} from '../generated/prisma/client.js';
import { observe, type Breach } from './observe.js';
import { AlertParamsSchema, type AlertEvent, type AlertParams, type WebhookFormat } from './schemas.js';
import {
  deliverWebhook,
  webhookPayload,
  type AlertNotice,
  type DeliveryOptions,
  type DeliveryResult,
} from './webhook.js';

export interface AlertEvaluatorOptions {
  /** Time between passes, ms (LOVAGE_ALERT_INTERVAL_MS, default 30 s). */
  intervalMs?: number;
  /** Webhook timeout, attempts and backoff (LOVAGE_ALERT_WEBHOOK_TIMEOUT_MS; 3 attempts, 1 s then 2 s apart). */
  delivery?: Partial<DeliveryOptions>;
  /** The dashboard's address, for links in notifications. */
  dashboardUrl?: string | null;
}

export const DEFAULT_ALERT_INTERVAL_MS = 30_000;

/** Pending notifications claimed again per pass, at most. */
const REDELIVERY_BATCH = 20;

/** How long a delivery can take at worst: every attempt timing out, and the pauses between them. */
export function worstDeliveryMs(delivery: DeliveryOptions): number {
  const pauses = delivery.backoffMs * (2 ** Math.max(0, delivery.attempts - 1) - 1);
  return delivery.attempts * delivery.timeoutMs + pauses;
}

/** A claim outlasts the worst delivery by this much, for the database round trips around it. */
const CLAIM_MARGIN_MS = 5_000;

export interface PassReport {
  fired: number;
  resolved: number;
}

export class AlertEvaluator {
  readonly intervalMs: number;
  private readonly delivery: DeliveryOptions;
  /** How long a claim on a pending notification lasts (database time). */
  readonly claimMs: number;
  private readonly dashboardUrl: string | null;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;

  constructor(
    private readonly prisma: PrismaClient,
    private readonly engine: Lovage | null,
    private readonly logger: Logger,
    options: AlertEvaluatorOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? DEFAULT_ALERT_INTERVAL_MS;
    this.delivery = { timeoutMs: 5_000, attempts: 3, backoffMs: 1_000, ...options.delivery };
    this.claimMs = worstDeliveryMs(this.delivery) + CLAIM_MARGIN_MS;
    this.dashboardUrl = options.dashboardUrl?.replace(/\/+$/, '') ?? null;
  }

  /** Runs a pass soon after start, then every interval (each pass waits for the last one). */
  start(): void {
    if (this.timer || this.stopped) return;
    const schedule = (delay: number) => {
      this.timer = setTimeout(() => {
        this.running = this.runOnce()
          .catch((error: unknown) =>
            this.logger.warn({ err: error }, 'alerts: a pass failed; the next one retries'),
          )
          .finally(() => {
            this.running = undefined;
            if (!this.stopped) schedule(this.intervalMs);
          });
      }, delay);
      this.timer.unref();
    };
    schedule(Math.min(this.intervalMs, 2_000));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }

  /**
   * One pass: first the notifications another gateway left pending (its claim lapsed),
   * then every rule; resolves once the notifications it sent are delivered (or given up).
   */
  async runOnce(now = Date.now()): Promise<PassReport> {
    const deliveries: Promise<unknown>[] = await this.redeliverLapsed();
    const rules = await this.prisma.alertRule.findMany({ orderBy: { createdAt: 'asc' } });
    const report: PassReport = { fired: 0, resolved: 0 };
    for (const rule of rules) {
      const params = AlertParamsSchema.safeParse(rule.params);
      if (!params.success) {
        this.logger.warn(
          { rule: rule.id, issues: params.error.issues },
          'alerts: a stored rule does not parse; skipped',
        );
        continue;
      }
      let breaches: Map<string, Breach> | null;
      try {
        // A disabled rule breaches nothing, so what it had firing resolves.
        breaches = rule.enabled
          ? await observe(params.data, { prisma: this.prisma, engine: this.engine }, now)
          : new Map();
      } catch (error) {
        this.logger.warn(
          { err: error, rule: rule.id },
          'alerts: could not evaluate a rule; its alerts stay as they are',
        );
        continue;
      }
      if (breaches === null) continue;
      for (const [subject, breach] of breaches) {
        const event = await this.fire(rule, params.data, subject, breach, now);
        if (event) {
          report.fired += 1;
          deliveries.push(this.deliver(rule, event));
        }
      }
      const firing = await this.prisma.alertState.findMany({ where: { ruleId: rule.id, firing: true } });
      for (const state of firing) {
        if (breaches.has(state.subject)) continue;
        const event = await this.resolve(rule, params.data, state.subject, state.eventId, now);
        if (event) {
          report.resolved += 1;
          deliveries.push(this.deliver(rule, event));
        }
      }
    }
    await Promise.all(deliveries);
    return report;
  }

  /** Sends a test notification through the rule's webhook and records it. */
  async test(rule: RuleRow): Promise<EventRow> {
    const event = await this.prisma.$transaction(async (tx) =>
      this.claimNew(
        tx,
        await tx.alertEvent.create({
          data: {
            ruleId: rule.id,
            ruleName: rule.name,
            kind: rule.kind,
            subject: 'test',
            status: 'test',
            message: `A test of the alert rule "${rule.name}": its webhook works.`,
          },
        }),
      ),
    );
    return this.deliver(rule, event);
  }

  /**
   * Claims the pending notifications whose claim lapsed (their gateway died or lost the
   * database before recording the outcome) and starts delivering them; one promise each.
   * The claim is one UPDATE over rows locked with SKIP LOCKED and re-checked after any
   * wait, so two gateways claiming at once never both get a row.
   */
  private async redeliverLapsed(): Promise<Promise<unknown>[]> {
    let claimed: { id: bigint }[];
    // A row never claimed was written by a gateway from before claims existed (during a
    // rolling upgrade it may be delivering it now): it counts as claimed for a lease from `at`.
    const lease = this.claimMs / 1_000;
    try {
      claimed = await this.prisma.$queryRaw<{ id: bigint }[]>`
        UPDATE alert_events SET claimed_until = clock_timestamp() + make_interval(secs => ${lease})
         WHERE id IN (SELECT id FROM alert_events
                       WHERE delivery = 'pending'
                         AND COALESCE(claimed_until, at + make_interval(secs => ${lease})) < clock_timestamp()
                       ORDER BY id LIMIT ${REDELIVERY_BATCH} FOR UPDATE SKIP LOCKED)
           AND delivery = 'pending'
           AND COALESCE(claimed_until, at + make_interval(secs => ${lease})) < clock_timestamp()
        RETURNING id`;
    } catch (error) {
      this.logger.warn({ err: error }, 'alerts: could not claim pending notifications; the next pass retries');
      return [];
    }
    if (claimed.length === 0) return [];
    const events = await this.prisma.alertEvent.findMany({
      where: { id: { in: claimed.map((row) => row.id) } },
      orderBy: { id: 'asc' },
    });
    const ruleIds = events.map((event) => event.ruleId).filter((id): id is string => id !== null);
    const rules = new Map(
      (await this.prisma.alertRule.findMany({ where: { id: { in: ruleIds } } })).map((rule) => [rule.id, rule]),
    );
    this.logger.info({ events: events.map((event) => event.id.toString()) }, 'alerts: redelivering notifications left pending');
    return events.map((event) => {
      const rule = event.ruleId === null ? undefined : rules.get(event.ruleId);
      if (rule) return this.deliver(rule, event);
      return this.record(event, { ok: false, attempts: 0, error: 'the rule was deleted before its notification was delivered' });
    });
  }

  /** Claims a notification just recorded in `tx` for this gateway's delivery of it. */
  private async claimNew(tx: Prisma.TransactionClient, event: EventRow): Promise<EventRow> {
    const [row] = await tx.$queryRaw<{ claimed_until: Date }[]>`
      UPDATE alert_events SET claimed_until = clock_timestamp() + make_interval(secs => ${this.claimMs / 1_000})
       WHERE id = ${event.id} RETURNING claimed_until`;
    return { ...event, claimedUntil: row?.claimed_until ?? null };
  }

  /** Moves (rule, subject) to firing unless it fires already; the event when this call made the move. */
  private async fire(
    rule: RuleRow,
    params: AlertParams,
    subject: string,
    breach: Breach,
    now: number,
  ): Promise<EventRow | null> {
    return this.prisma.$transaction(async (tx) => {
      const moved = await tx.$queryRaw<{ rule_id: string }[]>`
        INSERT INTO alert_states (rule_id, subject, firing, since) VALUES (${rule.id}::uuid, ${subject}, true, ${new Date(now)})
        ON CONFLICT (rule_id, subject) DO UPDATE SET firing = true, since = EXCLUDED.since, event_id = NULL
        WHERE alert_states.firing = false
        RETURNING rule_id`;
      if (moved.length === 0) return null;
      const event = await tx.alertEvent.create({
        data: {
          ruleId: rule.id,
          ruleName: rule.name,
          kind: params.kind,
          subject,
          status: 'firing',
          value: breach.value,
          message: breach.message,
          at: new Date(now),
        },
      });
      await tx.alertState.update({
        where: { ruleId_subject: { ruleId: rule.id, subject } },
        data: { eventId: event.id },
      });
      return this.claimNew(tx, event);
    });
  }

  /** Moves (rule, subject) back to resolved if it still fires with `eventId`; the event when this call made the move. */
  private async resolve(
    rule: RuleRow,
    params: AlertParams,
    subject: string,
    eventId: bigint | null,
    now: number,
  ): Promise<EventRow | null> {
    return this.prisma.$transaction(async (tx) => {
      const moved = await tx.alertState.updateMany({
        where: { ruleId: rule.id, subject, firing: true, eventId },
        data: { firing: false, since: new Date(now), eventId: null },
      });
      if (moved.count === 0) return null;
      const at = new Date(now);
      const firing =
        eventId === null
          ? null
          : await tx.alertEvent.update({ where: { id: eventId }, data: { resolvedAt: at } });
      const event = await tx.alertEvent.create({
        data: {
          ruleId: rule.id,
          ruleName: rule.name,
          kind: params.kind,
          subject,
          status: 'resolved',
          value: null,
          message: firing ? `Resolved: ${firing.message}` : `Resolved: ${rule.name} on ${subject}`,
          at,
          resolvedAt: at,
        },
      });
      return this.claimNew(tx, event);
    });
  }

  /** Delivers the event's notification and records how it went. Never throws. */
  private async deliver(rule: RuleRow, event: EventRow): Promise<EventRow> {
    const notice: AlertNotice = {
      status: event.status as AlertNotice['status'],
      rule: { id: rule.id, name: rule.name, kind: rule.kind },
      subject: event.subject,
      value: event.value,
      message: event.message,
      at: event.at,
      dashboardUrl: this.dashboardUrl,
    };
    const result = await deliverWebhook(
      rule.webhookUrl,
      webhookPayload(rule.webhookFormat as WebhookFormat, notice),
      this.delivery,
    );
    if (!result.ok)
      this.logger.warn(
        { rule: rule.id, event: event.id.toString(), error: result.error },
        'alerts: webhook delivery failed',
      );
    return this.record(event, result);
  }

  /**
   * Records how a delivery went, only while this gateway's claim still holds (else the
   * event is left to whoever claimed it since). Never throws.
   */
  private async record(event: EventRow, result: DeliveryResult): Promise<EventRow> {
    try {
      const recorded = await this.prisma.alertEvent.updateMany({
        where: { id: event.id, delivery: 'pending', claimedUntil: event.claimedUntil },
        data: {
          delivery: result.ok ? 'delivered' : 'failed',
          attempts: { increment: result.attempts },
          deliveryError: result.error,
          deliveredAt: result.ok ? new Date() : null,
          claimedUntil: null,
        },
      });
      if (recorded.count === 0)
        this.logger.warn(
          { event: event.id.toString() },
          'alerts: a delivery outlasted its claim; its outcome is left to the gateway that claimed it since',
        );
      return (await this.prisma.alertEvent.findUnique({ where: { id: event.id } })) ?? event;
    } catch (error) {
      this.logger.warn({ err: error, event: event.id.toString() }, 'alerts: could not record a delivery');
      return event;
    }
  }
}

export function toAlertEvent(row: EventRow): AlertEvent {
  return {
    id: row.id.toString(),
    ruleId: row.ruleId,
    ruleName: row.ruleName,
    kind: row.kind as AlertEvent['kind'],
    subject: row.subject,
    status: row.status as AlertEvent['status'],
    value: row.value,
    message: row.message,
    at: row.at.toISOString(),
    resolvedAt: row.resolvedAt?.toISOString() ?? null,
    delivery: row.delivery as AlertEvent['delivery'],
    attempts: row.attempts,
    deliveryError: row.deliveryError,
  };
}
