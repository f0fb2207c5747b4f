// The alert API's shapes (types from the gateway's schemas) and what the Alerts page
// says about each kind of rule.
import type { AlertKind, AlertParamsInput } from '@lovage/gateway/api-types';

export type {
  AlertEvent,
  AlertEventList,
  AlertFiringList,
  AlertKind,
  AlertParamsInput,
  AlertRule,
  AlertRuleBody,
  AlertRuleList,
  AlertRuleUpdate,
  AlertTestResult,
  WebhookFormat,
} from '@lovage/gateway/api-types';

/** Every kind's label (the Record makes TypeScript insist on each kind the gateway knows). */
export const alertKindLabels: Record<AlertKind, string> = {
  failure_rate: 'Failure rate of a task',
  queue_depth: 'Queue depth',
  oldest_waiting: 'Oldest waiting task',
  worker_offline: 'Worker offline',
  schedule_late: 'Schedule late or missed',
  dead_letters: 'Dead letters growing',
};

/** The kinds in the order the new-rule dialog offers them. */
export const alertKinds = Object.keys(alertKindLabels) as AlertKind[];

/** One line saying what the rule watches, e.g. "more than 100 ready in emails". */
export function describeRule(rule: AlertParamsInput): string {
  const where = (name: string | undefined, every: string) => (name ? name : every);
  switch (rule.kind) {
    case 'failure_rate':
      return `more than ${rule.percent}% of ${rule.task} failed over ${rule.windowMinutes} min (at least ${rule.minCount} runs)`;
    case 'queue_depth':
      return `more than ${rule.above} waiting in ${where(rule.queue, 'any queue')}`;
    case 'oldest_waiting':
      return `a task waited over ${rule.aboveSeconds} s in ${where(rule.queue, 'any queue')}`;
    case 'worker_offline':
      return `${where(rule.worker, 'any worker')} offline`;
    case 'schedule_late':
      return `${where(rule.schedule, 'any schedule')} more than ${rule.graceSeconds} s late`;
    case 'dead_letters':
      return `more than ${rule.above} new dead letters in ${where(rule.queue, 'any queue')} over ${rule.windowMinutes} min`;
  }
}

export const alertPaths = {
  rules: '/api/v1/alerts/rules',
  rule: (id: string) => `/api/v1/alerts/rules/${encodeURIComponent(id)}`,
  test: (id: string) => `/api/v1/alerts/rules/${encodeURIComponent(id)}/test`,
  firing: '/api/v1/alerts/firing',
  events: (limit: number) => `/api/v1/alerts/events?limit=${limit}`,
};
