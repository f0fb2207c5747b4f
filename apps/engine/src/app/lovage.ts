import { hostname } from 'node:os';
import { pathToFileURL } from 'node:url';
import { glob } from 'tinyglobby';
import { Beat, type BeatOptions } from '../beat/beat.js';
import { Schedules } from '../beat/schedules.js';
import { Control } from '../control/control.js';
import { NotRegisteredError, ConfigError } from '../errors.js';
import { Events, preview, taskEventFields } from '../events/events.js';
import { Queues } from '../control/queues.js';
import { requirePort, type Adapter, type PortName, type Ports } from '../adapters/adapter.js';
import { createAdapter, createMessageCodec, type Protocol } from '../adapters/create-adapter.js';
import type { ScheduleStore } from '../beat/schedule-store.js';
import type { ControlBus } from '../control/control-bus.js';
import type { WorkerRegistry } from '../control/worker-registry.js';
import type { EventLog } from '../events/event-log.js';
import { AsyncResult, type ResultHost } from '../result/async-result.js';
import { CeleryCanvas } from '../adapters/celery/celery-canvas.js';
import { CanvasRuntime } from '../canvas/canvas-runtime.js';
import type { GroupResult } from '../canvas/group-result.js';
import { IDENTITY_TASK } from '../canvas/planner.js';
import type { CanvasJSON } from '../canvas/signature.js';
import type { WorkflowStore } from '../canvas/workflow-store.js';
import { Workflows } from '../canvas/workflows.js';
import type { ResultBackend } from '../result/backend.js';
import type { TaskMessage } from '../task/message.js';
import { endSends, startSends, traceIdOf } from '../tracing/tracing.js';
import type { MessageCodec } from '../task/message-codec.js';
import { buildMessage, Task, type ApplyOptions, type TaskHandler, type TaskHost, type TaskOptions } from '../task/task.js';
import type { Broker, OutgoingMessage } from '../worker/broker.js';
import { Worker, type WorkerHost, type WorkerOptions } from '../worker/worker.js';
import { optionsFromEnv, resolveConfig, type LovageOptions, type ResolvedConfig } from './config.js';
import { defaultLogger, type Logger } from './logger.js';

/** The application: its configuration, its task registry, and its connections. */
export class Lovage implements TaskHost, ResultHost, WorkerHost {
  readonly config: ResolvedConfig;
  readonly logger: Logger;
  readonly tasks = new Map<string, Task<never[], unknown>>();
  /** How task messages look on the wire: Lovage's JSON, or Celery's protocol v2 (`protocol: 'celery'`). */
  readonly codec: MessageCodec;
  readonly control: Control;
  /** The event stream: `emit`, `subscribe` (consumer group), `tail`, `beatSink`. */
  readonly events: Events;
  /** Queue introspection: list, stats, dead letters (list, requeue, drop), purge. */
  readonly queues: Queues;
  /** Operations on whole workflows (canvases): `retryFailed(taskId)`. */
  readonly workflows: Workflows;
  /** Applies canvases and carries them on when their tasks end (the worker's settle pipeline calls it). */
  readonly canvas: CanvasRuntime;
  /** The adapter of the broker URL, and of the result backend URL when it differs (opened on first use). */
  private brokerAdapter: Adapter | undefined;
  private backendAdapter: Adapter | undefined;
  private readonly openWorkers = new Set<Worker>();
  private readonly openBeats = new Set<Beat>();

  constructor(options: LovageOptions = {}) {
    this.config = resolveConfig(options);
    this.logger = options.logger ?? defaultLogger(this.config.logLevel, this.config.name);
    this.codec = createMessageCodec(this.config.protocol);
    this.control = new Control({
      broker: () => this.broker(),
      bus: () => this.controlBus(),
      registry: () => this.workerRegistry(),
      backend: () => this.backend,
      revokeExpiresMs: this.config.revokeExpiresMs,
      resultExpiresMs: this.config.resultExpiresMs,
    });
    this.events = new Events(
      {
        enabled: this.config.events,
        maxLen: this.config.eventsMaxLen,
        maxBytes: this.config.eventsMaxBytes,
        flushMs: this.config.eventsFlushIntervalMs,
      },
      { log: () => this.eventLog(), logger: this.logger, hostname: () => this.hostname() },
    );
    this.queues = new Queues(() => this.broker());
    const publish = async (messages: TaskMessage[]): Promise<void> => void (await this.publishBulk(messages));
    this.canvas = new CanvasRuntime({
      protocol: this.config.protocol,
      foreign:
        this.config.protocol === 'celery'
          ? new CeleryCanvas({
              dialect: 'kombu-5.2',
              logger: this.logger,
              resultExpiresMs: this.config.resultExpiresMs,
              results: this,
              defaultQueue: () => this.config.defaultQueue,
              publish,
            })
          : undefined,
      codec: this.codec,
      logger: this.logger,
      resultExpiresMs: this.config.resultExpiresMs,
      results: this,
      revokeTasks: (ids, o) => this.control.revoke(ids, o),
      defaultQueue: () => this.config.defaultQueue,
      store: () => this.workflowStore(),
      publish,
      announce: (m) => this.emitSent(m),
      emit: (e) => this.events.emit(e),
    });
    this.workflows = new Workflows({
      codec: this.codec,
      resultExpiresMs: this.config.resultExpiresMs,
      store: () => this.workflowStore(),
      backend: () => this.backend,
      publish,
    });
    // A chord whose body does not start with a task gets this one as its callback (it passes the results on).
    this.task(IDENTITY_TASK, (value: unknown) => value);
  }

  /** Applies a canvas (chain, group, chord, signature): what `.applyAsync()` on one calls. */
  applyCanvas(canvas: CanvasJSON): Promise<AsyncResult<unknown> | GroupResult> {
    return this.canvas.apply(canvas);
  }

  /** task-sent, buffered and appended with the next batch: no extra round trip per delay(). */
  private emitSent(m: TaskMessage): void {
    if (!this.config.events) return;
    this.events.app.emit({ type: 'task-sent', ...taskEventFields(m), priority: m.priority, args: preview(m.args), traceId: traceIdOf(m.headers) });
  }

  /** Like `new Lovage()`, reading unset options from `<namespace>_*` environment variables. */
  static fromEnv(options: LovageOptions & { namespace?: string } = {}): Lovage {
    const { namespace = 'LOVAGE', ...rest } = options;
    return new Lovage(optionsFromEnv(namespace, rest));
  }

  private createAdapter(url: string, option: 'broker' | 'backend'): Adapter {
    const c = this.config;
    const protocol: Protocol =
      c.protocol === 'celery'
        ? { protocol: 'celery', keyPrefix: c.celeryKeyPrefix, visibilityTimeoutMs: c.visibilityTimeoutMs, storeUrl: c.backend === c.broker ? undefined : c.backend }
        : { protocol: 'lovage' };
    // An adapter that keeps only some state (amqp://) finds the rest in the backend URL's adapter.
    const store = option === 'broker' ? () => this.storeAdapter() : undefined;
    return createAdapter(url, c.prefix, option, this.logger, protocol, store);
  }

  /** The backend URL's adapter (the broker's own when both URLs are the same). */
  private storeAdapter(): Adapter {
    if (this.config.backend === this.config.broker) return (this.brokerAdapter ??= this.createAdapter(this.config.broker, 'broker'));
    return (this.backendAdapter ??= this.createAdapter(this.config.backend, 'backend'));
  }

  /** The message as the broker carries it, in the app's wire format. */
  private toOutgoing(m: TaskMessage): OutgoingMessage {
    return { id: m.id, queue: m.queue, priority: m.priority, eta: m.eta, body: this.codec.encode(m) };
  }

  /** A port of the broker URL's adapter, or a ConfigError naming the option to change. */
  private port<P extends Exclude<PortName, 'resultBackend'>>(port: P, neededBy: string): Ports[P] {
    this.brokerAdapter ??= this.createAdapter(this.config.broker, 'broker');
    // A port the broker's adapter lacks (amqp:// has queues only) comes from the backend's.
    if (!this.brokerAdapter[port] && this.config.backend !== this.config.broker) return requirePort(this.storeAdapter(), port, neededBy);
    return requirePort(this.brokerAdapter, port, neededBy);
  }

  /** The queues: what producers publish to and workers reserve from. */
  broker(): Broker {
    return this.port('broker', 'publishing and running tasks');
  }

  /** The event stream's storage (app.events reads and appends through it). */
  eventLog(): EventLog {
    return this.port('eventLog', 'the event stream (app.events)');
  }

  /** The broadcast channel of revocations and remote control. */
  controlBus(): ControlBus {
    return this.port('controlBus', 'revoke and remote control (app.control)');
  }

  /** Live workers, from their heartbeats. */
  workerRegistry(): WorkerRegistry {
    return this.port('workerRegistry', 'worker heartbeats (app.control.workers)');
  }

  /** Chord joins and workflow members (the canvas). */
  workflowStore(): WorkflowStore {
    if (this.config.protocol === 'celery') {
      // Canvases in this protocol travel in Celery's embed and join in Celery's keys: nothing records a workflow.
      throw new ConfigError("app.workflows is not available with protocol 'celery': Celery's canvas keeps no record of a workflow's members to retry");
    }
    return this.port('workflowStore', 'canvas (chain, group, chord)');
  }

  /** The schedule store beat and app.schedules share. */
  scheduleStore(): ScheduleStore {
    return this.port('scheduleStore', 'beat and app.schedules');
  }

  /** Where results live: the backend URL's adapter (the broker's own when both URLs are the same). */
  get backend(): ResultBackend {
    if (this.config.backend === this.config.broker) {
      this.brokerAdapter ??= this.createAdapter(this.config.broker, 'broker');
      return requirePort(this.brokerAdapter, 'resultBackend', 'storing results');
    }
    this.backendAdapter ??= this.createAdapter(this.config.backend, 'backend');
    return requirePort(this.backendAdapter, 'resultBackend', 'storing results');
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

  /**
   * Sends a task by name: for producers that do not import the task's code (a
   * web app sending to workers). A task this app registered keeps its options
   * (queue, priority, expires); any other name goes out with the call's options
   * and the app's defaults. Arguments and headers are checked at the call site.
   */
  sendTask<R = unknown>(name: string, args: unknown[] = [], options: ApplyOptions = {}): Promise<AsyncResult<R>> {
    const task = this.tasks.get(name);
    if (task) return task.applyAsync(args as never[], options) as Promise<AsyncResult<R>>;
    return this.publish<R>(buildMessage(name, args, {}, options, this.config.defaultQueue));
  }

  async publish<R>(message: TaskMessage): Promise<AsyncResult<R>> {
    await this.publishRaw(message);
    return new AsyncResult<R>(message.id, this);
  }

  async publishBulk<R>(messages: TaskMessage[]): Promise<AsyncResult<R>[]> {
    await this.underSendSpans(messages, () => this.broker().enqueueBulk(messages.map((m) => this.toOutgoing(m))));
    for (const m of messages) this.emitSent(m);
    return messages.map((m) => new AsyncResult<R>(m.id, this));
  }

  /** Enqueues an already-built message and announces it (task-sent); the outbox relay calls it directly. */
  async publishRaw(message: TaskMessage): Promise<void> {
    await this.underSendSpans([message], () => this.broker().enqueue(this.toOutgoing(message)));
    this.emitSent(message);
  }

  /**
   * Runs `enqueue` under one `send` span per message (OpenTelemetry installed),
   * ended with its outcome. The spans start first, so `enqueue`'s encoding
   * (toOutgoing) writes their context into the messages' headers.
   */
  private async underSendSpans(messages: TaskMessage[], enqueue: () => Promise<void>): Promise<void> {
    const spans = startSends(messages);
    try {
      await enqueue();
    } catch (err) {
      endSends(spans, err);
      throw err;
    }
    endSends(spans);
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

  /** Closes beats, workers, the broker and the result backend (a later call opens them again). */
  async close(): Promise<void> {
    await Promise.all([...this.openBeats].map((b) => b.close()));
    this.openBeats.clear();
    await Promise.all([...this.openWorkers].map((w) => w.close()));
    await this.events.close();
    const adapters = [this.brokerAdapter, this.backendAdapter];
    this.brokerAdapter = undefined;
    this.backendAdapter = undefined;
    await Promise.all(adapters.flatMap((a) => (a ? [a.close()] : [])));
  }
}
