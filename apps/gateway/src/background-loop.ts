// A pass that runs in the background: soon after start, then every interval
// after the previous pass ended (passes never overlap), until stopped. A
// failed pass is logged and the next one runs on time. The timer does not keep
// the process alive.
import type { Logger } from 'pino';

export class BackgroundLoop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private stopped = false;

  constructor(
    private readonly pass: () => Promise<unknown>,
    private readonly logger: Logger,
    private readonly options: { intervalMs: number; firstDelayMs: number; what: string },
  ) {}

  get isStopped(): boolean {
    return this.stopped;
  }

  start(): void {
    if (this.timer || this.stopped) return;
    const schedule = (delay: number) => {
      this.timer = setTimeout(() => {
        this.running = this.pass()
          .catch((error: unknown) => this.logger.warn({ err: error }, `${this.options.what}: a pass failed; the next one retries`))
          .finally(() => {
            this.running = undefined;
            if (!this.stopped) schedule(this.options.intervalMs);
          });
      }, delay);
      this.timer.unref();
    };
    schedule(this.options.firstDelayMs);
  }

  /** Stops; resolves after the pass in flight. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
