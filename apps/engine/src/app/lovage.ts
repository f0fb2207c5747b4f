import { hostname } from 'node:os';
import { pathToFileURL } from 'node:url';
import { glob } from 'tinyglobby';
import { Beat, type BeatOptions } from '../beat/beat.js';
import { Schedules } from '../beat/schedules.js';
import { Control } from '../control/control.js';
import { NotRegisteredError, ConfigError } from '../errors.js';
import { Events, preview } from '../events/events.js';
import { Queues } from '../control/queues.js';
import { AsyncResult, type ResultHost } from '../result/async-result.js';
import { createResultBackend, type ResultBackend } from '../result/backend.js';
import type { TaskMessage } from '../task/message.js';
import { Task, type TaskHandler, type TaskHost, type TaskOptions } from '../task/task.js';
import { createTransport } from '../transport/create-transport.js';
import type { OutgoingMessage, Transport } from '../transport/transport.js';
import { Worker, type WorkerOptions } from '../worker/worker.js';
import { optionsFromEnv, resolveConfig, type LovageOptions, type ResolvedConfig } from './config.js';
import { defaultLogger, type Logger } from './logger.js';

function toOutgoing(m: TaskMessage): OutgoingMessage {
  return { id: m.id, queue: m.queue, priority: m.priority, eta: m.eta, body: JSON.stringify(m) };
}

/** The application: its configuration, its task registry, and its connections. */
export class Lovage implements TaskHost, ResultHost {
  readonly config: ResolvedConfig;
  readonly logger: Logger;
  readonly tasks = new Map<string, Task<never[], unknown>>();
  readonly control: Control;
  /** The event stream: `emit`, `subscribe` (consumer group), `tail`, `beatSink`. */
  readonly events: Events;
  /** Queue introspection: list, stats, dead letters (list, requeue, drop), purge. */
  readonly queues: Queues;
  private transportPromise: Promise<Transport> | undefined;
  private backendInstance: ResultBackend | undefined;
  private readonly openWorkers = new Set<Worker>();
  private readonly openBeats = new Set<Beat>();

  constructor(options: LovageOptions = {}) {
    this.config = resolveConfig(options);
    this.logger = options.logger ?? defaultLogger(this.config.logLevel, this.config.name);
    this.control = new Control({
      transport: () => this.transport(),
      backend: () => Promise.resolve(this.backend),
      revokeExpiresMs: this.config.revokeExpiresMs,
      resultExpiresMs: this.config.resultExpiresMs,
    });
    this.events = new Events(
      { enabled: this.config.events, maxLen: this.config.eventsMaxLen, flushMs: this.config.eventsFlushIntervalMs },
      { transport: () => this.transport(), logger: this.logger, hostname: () => this.hostname() },
    );
    this.queues = new Queues(() => this.transport());
  }

  /** task-sent, buffered and appended with the next batch: no extra round trip per delay(). */
  private emitSent(m: TaskMessage): void {
    if (!this.config.events) return;
    this.events.app.emit({
      type: 'task-sent',
      id: m.id,
      name: m.task,
      queue: m.queue,
      retries: m.retries,
      eta: m.eta,
      expires: m.expires,
      priority: m.priority,
      args: preview(m.args),
      parentId: typeof m.headers.parentId === 'string' ? m.headers.parentId : undefined,
      rootId: typeof m.headers.rootId === 'string' ? m.headers.rootId : undefined,
    });
  }

  /** Like `new Lovage()`, reading unset options from `<namespace>_*` environment variables. */
  static fromEnv(options: LovageOptions & { namespace?: string } = {}): Lovage {
    const { namespace = 'LOVAGE', ...rest } = options;
    return new Lovage(optionsFromEnv(namespace, rest));
  }

  /** The broker connection, opened on first use. */
  transport(): Promise<Transport> {
    this.transportPromise ??= (async () => {
      const t = createTransport(this.config.broker, this.config.prefix, this.logger);
      await t.connect();
      return t;
    })();
    return this.transportPromise;
  }

  get backend(): ResultBackend {
    this.backendInstance ??= createResultBackend(this.config.backend, this.config.prefix, this.logger);
    return this.backendInstance;
  }

  defaultQueue(): string {
    return this.config.defaultQueue;
  }

  /** Registers a task. Argument and return types flow from the handler to delay() and get(). */
  task<A extends unknown[], R>(name: string, handler: TaskHandler<A, R>, options: TaskOptions = {}): Task<A, R> {
    if (this.tasks.has(name)) throw new ConfigError(`task ${JSON.stringify(name)} is registered twice`);
    const task = new Task<A, R>(name, handler, options, this);
    this.tasks.set(name, task as unknown as Task<never[], unknown>);
    return task;
  }

  getTask(name: string): Task<never[], unknown> {
    const task = this.tasks.get(name);
    if (!task) throw new NotRegisteredError(name);
    return task;
  }

  /** Imports every module matching the globs (relative to `cwd`), registering their tasks. */
  async autodiscover(globs: string | string[], options: { cwd?: string } = {}): Promise<string[]> {
    const files = await glob(globs, { cwd: options.cwd ?? process.cwd(), absolute: true });
    files.sort();
    for (const file of files) await import(pathToFileURL(file).href);
    return files;
  }

  /** Sends a task by name (for callers that do not import the task). */
  sendTask(name: string, args: unknown[] = [], options: Parameters<Task['applyAsync']>[1] = {}): Promise<AsyncResult> {
    return this.getTask(name).applyAsync(args as never[], options);
  }

  async publish<R>(message: TaskMessage): Promise<AsyncResult<R>> {
    const transport = await this.transport();
    await transport.enqueue(toOutgoing(message));
    this.emitSent(message);
    return new AsyncResult<R>(message.id, this);
  }

  async publishBulk<R>(messages: TaskMessage[]): Promise<AsyncResult<R>[]> {
    const transport = await this.transport();
    await transport.enqueueBulk(messages.map(toOutgoing));
    for (const m of messages) this.emitSent(m);
    return messages.map((m) => new AsyncResult<R>(m.id, this));
  }

  /** Publishes an already-built message body (used by the outbox relay). */
  async publishRaw(message: TaskMessage): Promise<void> {
    const transport = await this.transport();
    await transport.enqueue(toOutgoing(message));
    this.emitSent(message);
  }

  asyncResult<R = unknown>(id: string): AsyncResult<R> {
    return new AsyncResult<R>(id, this);
  }

  async revokeTask(id: string, options: { terminate?: boolean | undefined }): Promise<void> {
    await this.control.revoke(id, options);
  }

  worker(options: WorkerOptions = {}): Worker {
    const worker = new Worker(this, options);
    this.openWorkers.add(worker);
    worker.onClosed(() => this.openWorkers.delete(worker));
    return worker;
  }

  /** The schedule store that beat and the dashboard share (list, get, upsert, remove, enable, disable, runNow). */
  get schedules(): Schedules {
    this.schedulesFacade ??= new Schedules(this);
    return this.schedulesFacade;
  }
  private schedulesFacade: Schedules | undefined;

  /** A beat service for this app: `await app.beat().start()`; `app.close()` closes it too. */
  beat(options: BeatOptions = {}): Beat {
    const beat = new Beat(this, options);
    this.openBeats.add(beat);
    // Beat's schedule events go onto the event stream (unless `events: false`).
    beat.onEvent(this.events.beatSink());
    return beat;
  }

  hostname(): string {
    return `${this.config.name}@${hostname()}:${process.pid}`;
  }

  /** Closes beats, workers, the broker and the result backend. */
  async close(): Promise<void> {
    await Promise.all([...this.openBeats].map((b) => b.close()));
    this.openBeats.clear();
    await Promise.all([...this.openWorkers].map((w) => w.close()));
    await this.events.close();
    if (this.transportPromise) await (await this.transportPromise).close();
    this.transportPromise = undefined;
    await this.backendInstance?.close();
    this.backendInstance = undefined;
  }
}
