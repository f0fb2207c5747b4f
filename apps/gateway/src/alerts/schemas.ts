// Alert rules, their firings and the webhook deliveries: request and response
// shapes of /api/v1/alerts. Part of the dashboard's `@lovage/gateway/api-types`,
// so it imports zod and nothing else.
import { z } from 'zod';

export const ALERT_KINDS = [
  'failure_rate',
  'queue_depth',
  'oldest_waiting',
  'worker_offline',
  'schedule_late',
  'dead_letters',
] as const;
export const AlertKindSchema = z.enum(ALERT_KINDS).meta({ id: 'AlertKind' });
export type AlertKind = z.infer<typeof AlertKindSchema>;

export const WEBHOOK_FORMATS = ['json', 'slack'] as const;
export const WebhookFormatSchema = z
  .enum(WEBHOOK_FORMATS)
  .meta({ id: 'WebhookFormat', description: 'json: the generic payload; slack: { text, blocks }' });
export type WebhookFormat = z.infer<typeof WebhookFormatSchema>;

const name = (what: string) =>
  z.string().trim().min(1, `${what} is required`).max(200, `${what} must be at most 200 characters`);
const optionalName = (what: string) =>
  z
    .string()
    .trim()
    .max(200, `${what} must be at most 200 characters`)
    .optional()
    .transform((value) => (value === '' ? undefined : value));
const whole = (min: number, max: number) =>
  z
    .number({ message: 'must be a number' })
    .int('must be a whole number')
    .min(min, `must be at least ${min}`)
    .max(max, `must be at most ${max}`);

/** The fields of each kind of rule. An optional subject (queue, worker, schedule) left out means every one. */
export const AlertParamsSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('failure_rate'),
    task: name('task'),
    /** Fires when more than this share of the finished runs failed. */
    percent: z
      .number({ message: 'must be a number' })
      .min(0, 'must be at least 0')
      .max(100, 'must be at most 100'),
    windowMinutes: whole(1, 1_440),
    /** Not before this many runs finished in the window, so one failure of two does not page anyone. */
    minCount: whole(1, 1_000_000),
  }),
  z.object({ kind: z.literal('queue_depth'), queue: optionalName('queue'), above: whole(0, 1_000_000_000) }),
  z.object({
    kind: z.literal('oldest_waiting'),
    queue: optionalName('queue'),
    aboveSeconds: whole(1, 30 * 86_400),
  }),
  z.object({
    kind: z.literal('worker_offline'),
    worker: optionalName('worker'),
    /** Without a worker named: workers gone offline for longer than this are forgotten (scaled down for good). */
    forgetAfterMinutes: whole(1, 30 * 1_440).default(60),
  }),
  z.object({
    kind: z.literal('schedule_late'),
    schedule: optionalName('schedule'),
    graceSeconds: whole(0, 86_400),
  }),
  z.object({
    kind: z.literal('dead_letters'),
    queue: optionalName('queue'),
    above: whole(0, 999),
    windowMinutes: whole(1, 1_440),
  }),
]);
export type AlertParams = z.output<typeof AlertParamsSchema>;
export type AlertParamsInput = z.input<typeof AlertParamsSchema>;

/** Only http(s): a webhook is a POST to a web address. */
export const WebhookUrlSchema = z
  .string()
  .trim()
  .max(2_000, 'must be at most 2000 characters')
  .refine((value) => URL.canParse(value), 'must be a URL, e.g. https://hooks.slack.com/services/…')
  .refine(
    (value) => !URL.canParse(value) || ['http:', 'https:'].includes(new URL(value).protocol),
    'must be an http:// or https:// URL',
  );

export const AlertRuleBodySchema = z.object({
  name: name('name'),
  enabled: z.boolean().default(true),
  rule: AlertParamsSchema,
  webhookFormat: WebhookFormatSchema.default('json'),
  webhookUrl: WebhookUrlSchema,
});
export type AlertRuleBody = z.input<typeof AlertRuleBodySchema>;

/** An edit: the webhook URL may be left out (or empty) to keep the stored one, which the client never sees. */
export const AlertRuleUpdateSchema = AlertRuleBodySchema.extend({
  webhookUrl: z
    .union([z.literal(''), WebhookUrlSchema])
    .optional()
    .transform((value) => (value === '' ? undefined : value)),
});
export type AlertRuleUpdate = z.input<typeof AlertRuleUpdateSchema>;

export const AlertRuleSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    enabled: z.boolean(),
    rule: AlertParamsSchema,
    webhookFormat: WebhookFormatSchema,
    webhookUrlMasked: z
      .string()
      .meta({
        description: 'The webhook URL with its secret part hidden, e.g. https://hooks.slack.com/…/****abcd',
      }),
    createdBy: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    firing: z.number().int().meta({ description: 'How many subjects (queues, workers, …) fire now' }),
  })
  .meta({ id: 'AlertRule' });
export type AlertRule = z.infer<typeof AlertRuleSchema>;
export const AlertRuleListSchema = z.object({
  rules: z.array(AlertRuleSchema),
  evaluatedEveryMs: z.number().nullable(),
});
export type AlertRuleList = z.infer<typeof AlertRuleListSchema>;

export const ALERT_STATUSES = ['firing', 'resolved', 'test'] as const;
export const DELIVERY_STATES = ['pending', 'delivered', 'failed'] as const;

export const AlertEventSchema = z
  .object({
    id: z.string(),
    ruleId: z.string().nullable(),
    ruleName: z.string(),
    kind: AlertKindSchema,
    subject: z.string(),
    status: z.enum(ALERT_STATUSES),
    value: z.number().nullable(),
    message: z.string(),
    at: z.string(),
    resolvedAt: z.string().nullable(),
    delivery: z.enum(DELIVERY_STATES),
    attempts: z.number().int(),
    deliveryError: z.string().nullable(),
  })
  .meta({ id: 'AlertEvent' });
export type AlertEvent = z.infer<typeof AlertEventSchema>;
export const AlertFiringListSchema = z.object({ firing: z.array(AlertEventSchema) });
export type AlertFiringList = z.infer<typeof AlertFiringListSchema>;
export const AlertEventListSchema = z.object({ events: z.array(AlertEventSchema) });
export type AlertEventList = z.infer<typeof AlertEventListSchema>;
export const AlertEventQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(100),
});

export const AlertTestResultSchema = z.object({ event: AlertEventSchema }).meta({ id: 'AlertTestResult' });
export type AlertTestResult = z.infer<typeof AlertTestResultSchema>;
