// Flower's worker-control endpoints, in Flower's shapes, so scripts written for
// Flower keep working against the gateway, for Lovage workers and for the
// workers of watched Celery clusters alike (each goes where /api/v1's worker
// control sends it: actions/worker-control.ts):
//   POST /api/worker/shutdown/:name                       {"message": "Shutting down!"}   (admin)
//   POST /api/worker/pool/grow/:name?n=1                  {"message": "Growing '<name>' worker's pool by 1"}
//   POST /api/worker/pool/shrink/:name?n=1                {"message": "Shrinking '<name>' worker's pool by 1"}
//   POST /api/worker/pool/autoscale/:name?min=&max=       {"message": "Autoscaling '<name>' worker (min=1, max=4)"}
//   POST /api/worker/queue/add-consumer/:name?queue=      {"message": <the worker's reply>}
//   POST /api/worker/queue/cancel-consumer/:name?queue=   {"message": <the worker's reply>}
//   POST /api/task/rate-limit/:task?workername=&ratelimit=  {"message": <the worker's reply>}
//   POST /api/task/timeout/:task?workername=&soft=&hard=    {"message": <the worker's reply>}
//   POST /api/worker/pool/restart/:name                   409 NOT_SUPPORTED
// As in Flower (Tornado's get_argument) each argument may come in the query
// string or in a form or JSON body; soft and hard are seconds, and a bare
// rate limit is per second. Each needs the operator role and is audited as
// `worker.control`, as the /api/v1 route is.
import type { FastifyPluginCallback } from 'fastify';
import { z } from 'zod';
import { defineAction } from '../actions/define-action.js';
import { WorkerControlBodySchema, type WorkerControlBody } from '../actions/schemas.js';
import { controlWorker, type WorkerControlServices } from '../actions/worker-control.js';
import { OpenApiRegistry } from '../api/openapi.js';
import { authenticate } from '../auth/authenticate.js';
import type { SessionStore } from '../auth/session-store.js';
import { ConflictError, ValidationError } from '../errors.js';

export interface FlowerControlOptions {
  sessions: SessionStore;
  allowedOrigins: string[];
  services: WorkerControlServices;
}

/** Query-string and form values are strings; a JSON body may carry numbers. */
const number = z.union([z.number(), z.string().trim().regex(/^-?\d+(\.\d+)?$/, 'must be a number').transform(Number)]);
const FlowerArgumentsSchema = z
  .object({
    n: number.optional(),
    min: number.optional(),
    max: number.optional(),
    queue: z.string().optional(),
    workername: z.string().optional(),
    ratelimit: z.union([z.number(), z.string()]).optional(),
    soft: number.optional(),
    hard: number.optional(),
  })
  .loose();
type FlowerArguments = z.output<typeof FlowerArgumentsSchema>;

const NameParamsSchema = z.object({ name: z.string().min(1).max(200) });
const MessageResponseSchema = z.object({ message: z.string() });

function required<K extends keyof FlowerArguments>(args: FlowerArguments, key: K): NonNullable<FlowerArguments[K]> {
  const value = args[key];
  if (value === undefined || value === '') {
    throw new ValidationError(`${String(key)}: is required`, String(key), [{ path: `query.${String(key)}`, message: 'is required' }]);
  }
  return value as NonNullable<FlowerArguments[K]>;
}

/** Validates the body the /api/v1 route would take, naming Flower's argument when one is wrong. */
function controlBody(raw: unknown, names: Record<string, string>): WorkerControlBody {
  const parsed = WorkerControlBodySchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  const inner = String(issue.path.at(-1) ?? 'arguments');
  const field = names[inner] ?? inner;
  throw new ValidationError(`${field}: ${issue.message}`, field, [{ path: `query.${field}`, message: issue.message }]);
}

/** Celery reads a bare number as tasks per second. */
const flowerRate = (value: string | number): string => (/^\d+(\.\d+)?$/.test(String(value).trim()) ? `${String(value).trim()}/s` : String(value).trim());
const secondsToMs = (value: number | undefined): number | undefined => (value === undefined ? undefined : Math.round(value * 1_000));

interface FlowerCommand {
  url: string;
  summary: string;
  /** The worker addressed, and the /api/v1 body, from the path parameter and Flower's arguments. */
  toCommand(name: string, args: FlowerArguments): { worker: string; body: WorkerControlBody };
  /** Flower's message; its own text where Flower writes one, else the worker's reply. */
  message(name: string, body: WorkerControlBody, reply: string): string;
}

const COMMANDS: FlowerCommand[] = [
  {
    url: '/worker/shutdown/:name',
    summary: 'Flower: shut a worker down (needs admin)',
    toCommand: (name) => ({ worker: name, body: { command: 'shutdown', arguments: {} } }),
    message: () => 'Shutting down!',
  },
  {
    url: '/worker/pool/grow/:name',
    summary: "Flower: grow a worker's pool by n (default 1)",
    toCommand: (name, args) => ({ worker: name, body: controlBody({ command: 'pool_grow', arguments: { n: args.n ?? 1 } }, {}) }),
    message: (name, body) => `Growing '${name}' worker's pool by ${body.command === 'pool_grow' ? (body.arguments?.n ?? 1) : 1}`,
  },
  {
    url: '/worker/pool/shrink/:name',
    summary: "Flower: shrink a worker's pool by n (default 1)",
    toCommand: (name, args) => ({ worker: name, body: controlBody({ command: 'pool_shrink', arguments: { n: args.n ?? 1 } }, {}) }),
    message: (name, body) => `Shrinking '${name}' worker's pool by ${body.command === 'pool_shrink' ? (body.arguments?.n ?? 1) : 1}`,
  },
  {
    url: '/worker/pool/autoscale/:name',
    summary: "Flower: set a Celery worker's autoscale bounds (min, max)",
    toCommand: (name, args) => ({
      worker: name,
      body: controlBody({ command: 'autoscale', arguments: { min: required(args, 'min'), max: required(args, 'max') } }, {}),
    }),
    message: (name, body) => (body.command === 'autoscale' ? `Autoscaling '${name}' worker (min=${body.arguments.min}, max=${body.arguments.max})` : ''),
  },
  {
    url: '/worker/queue/add-consumer/:name',
    summary: 'Flower: make a worker consume a queue',
    toCommand: (name, args) => ({ worker: name, body: controlBody({ command: 'add_consumer', arguments: { queue: required(args, 'queue') } }, {}) }),
    message: (_name, _body, reply) => reply,
  },
  {
    url: '/worker/queue/cancel-consumer/:name',
    summary: 'Flower: make a worker stop consuming a queue',
    toCommand: (name, args) => ({ worker: name, body: controlBody({ command: 'cancel_consumer', arguments: { queue: required(args, 'queue') } }, {}) }),
    message: (_name, _body, reply) => reply,
  },
  {
    url: '/task/rate-limit/:name',
    summary: "Flower: set a task's rate limit on one worker (ratelimit: '10/m', or a number per second)",
    toCommand: (name, args) => ({
      worker: required(args, 'workername'),
      body: controlBody({ command: 'rate_limit', arguments: { task: name, rate: flowerRate(required(args, 'ratelimit')) } }, { rate: 'ratelimit' }),
    }),
    message: (_name, _body, reply) => reply,
  },
  {
    url: '/task/timeout/:name',
    summary: "Flower: set a task's soft and hard time limits (seconds) on one worker",
    toCommand: (name, args) => {
      const worker = required(args, 'workername');
      if (args.soft === undefined && args.hard === undefined) {
        throw new ValidationError('soft: give soft or hard (seconds)', 'soft', [{ path: 'query.soft', message: 'give soft or hard (seconds)' }]);
      }
      return { worker, body: controlBody({ command: 'time_limit', arguments: { task: name, soft: secondsToMs(args.soft), hard: secondsToMs(args.hard) } }, {}) };
    },
    message: (_name, _body, reply) => reply,
  },
];

export const flowerControlPlugin: FastifyPluginCallback<FlowerControlOptions> = (app, options, done) => {
  app.addHook('onRequest', authenticate({ prisma: app.database.prisma, sessions: options.sessions, allowedOrigins: options.allowedOrigins }));
  // Flower's clients often post forms (`requests.post(url, data=...)`); read them as flat objects.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_request, body, next) => {
    next(null, Object.fromEntries(new URLSearchParams(body as string)));
  });
  const registrar = { app, openapi: new OpenApiRegistry(), prefix: '/api' };

  for (const command of COMMANDS) {
    defineAction(registrar, {
      method: 'POST',
      url: command.url,
      summary: command.summary,
      tag: 'flower',
      access: 'operator',
      action: 'worker.control',
      params: NameParamsSchema,
      query: FlowerArgumentsSchema,
      body: FlowerArgumentsSchema.optional(),
      response: MessageResponseSchema,
      // The worker's hostname, or the task's name for the per-task limits (the worker is in the audit's params).
      target: (params) => params.name ?? null,
      async handler({ params, query, body, principal }) {
        const { worker, body: control } = command.toCommand(params.name, { ...query, ...body });
        const { reply, cluster } = await controlWorker(options.services, app.database.prisma, worker, control, principal.role);
        return {
          response: { message: command.message(params.name, control, reply) },
          audit: { via: 'flower-api', hostname: worker, command: control.command, reply, ...(cluster === null ? {} : { cluster }) },
        };
      },
    });
  }

  defineAction(registrar, {
    method: 'POST',
    url: '/worker/pool/restart/:name',
    summary: "Flower: restart a worker's pool (not supported: restart the worker)",
    tag: 'flower',
    access: 'operator',
    action: 'worker.control',
    params: NameParamsSchema,
    response: MessageResponseSchema,
    target: (params) => params.name ?? null,
    handler() {
      // Celery only restarts pools with worker_pool_restarts on (and warns against it); Lovage workers reload by restarting.
      return Promise.reject(new ConflictError('pool restart is not supported: restart the worker process instead', 'NOT_SUPPORTED'));
    },
  });
  done();
};
