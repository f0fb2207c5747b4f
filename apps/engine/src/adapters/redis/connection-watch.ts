// One place that hears the connection events of a group of ioredis clients (a
// transport's command, blocking and subscriber connections; a result
// backend's). ioredis reconnects by itself, but a client without an 'error'
// listener prints "[ioredis] Unhandled error event" with a stack trace on every
// failed attempt: a Redis restart under load printed 17 of them. Here an
// outage logs one warning when the first client starts reconnecting and one
// info line when the last of them is back; the failed attempts in between go
// to debug.
//
// 'reconnecting', not 'close', marks a client as down: a client closed on
// purpose (quit) also emits 'close', but never 'reconnecting'.
import type { Logger } from '../../app/logger.js';
import { redact as redactUrl } from '../adapter.js';

/** The part of an ioredis client (single server or Cluster) this watch listens to. */
interface Watchable {
  on(event: 'error', listener: (err: Error) => void): unknown;
  on(event: 'reconnecting' | 'ready' | 'end', listener: () => void): unknown;
}

export class ConnectionWatch {
  private readonly down = new Set<Watchable>();
  private readonly server: string;
  private lastError: { message: string; code?: string | undefined } | undefined;

  /**
   * @param role what the clients are for, as the log line says it ("broker", "result backend")
   * @param url the server's URL; the log shows it without user name and password
   */
  constructor(
    private readonly logger: Logger,
    private readonly role: string,
    url: string,
  ) {
    this.server = redactUrl(url);
  }

  /** Logs a command that failed while connected (a connection loss is logged by the events below instead). */
  commandFailed(what: string, err: unknown): void {
    this.logger.warn({ role: this.role, server: this.server, err }, `${this.role}: ${what} failed`);
  }

  /** Starts listening to `client`'s connection events; returns it for chaining. */
  add<C extends Watchable>(client: C): C {
    client.on('error', (err) => {
      this.lastError = { message: err.message, code: (err as { code?: string }).code };
      this.logger.debug({ role: this.role, server: this.server, err: this.lastError }, `${this.role} connection error`);
    });
    client.on('reconnecting', () => {
      if (this.down.size === 0) {
        this.logger.warn({ role: this.role, server: this.server, err: this.lastError }, `${this.role} connection lost, reconnecting`);
      }
      this.down.add(client);
    });
    client.on('ready', () => {
      if (!this.down.delete(client) || this.down.size > 0) return;
      this.lastError = undefined;
      this.logger.info({ role: this.role, server: this.server }, `${this.role} connection restored`);
    });
    // A client closed for good is no longer part of an outage.
    client.on('end', () => this.down.delete(client));
    return client;
  }
}
