// Remote control of workers. Today: revoke, carried over the transport's
// broadcast channel. The later remote-control bus adds commands (inspect,
// rate-limit, shutdown, ping) as more message types on the same channel.
import type { ResultBackend } from '../result/backend.js';
import type { Transport } from '../transport/transport.js';

export interface RevokeMessage {
  type: 'revoke';
  ids: string[];
  terminate: boolean;
  [key: string]: unknown;
}

export class Control {
  constructor(
    private readonly deps: {
      transport: () => Promise<Transport>;
      backend: () => Promise<ResultBackend>;
      revokeExpiresMs: number;
      resultExpiresMs: number;
    },
  ) {}

  /**
   * Revokes tasks. Queued or delayed copies never start (the transport drops
   * them at reserve); running ones see their signal abort, and with `terminate`
   * are cut loose after a grace period. The state becomes REVOKED either way.
   */
  async revoke(ids: string | string[], options: { terminate?: boolean | undefined } = {}): Promise<void> {
    const list = Array.isArray(ids) ? ids : [ids];
    const transport = await this.deps.transport();
    await transport.revoke(list, this.deps.revokeExpiresMs);
    const message: RevokeMessage = { type: 'revoke', ids: list, terminate: options.terminate ?? false };
    await transport.publishControl(message);
    const backend = await this.deps.backend();
    for (const id of list) {
      const current = await backend.get(id);
      if (current && ['SUCCESS', 'FAILURE', 'REVOKED'].includes(current.state)) continue;
      // A running task also reports REVOKED when it settles; recording it now
      // makes a delayed task's state right long before its ETA.
      await backend.storeUnlessReady(
        { id, task: current?.task, state: 'REVOKED', reason: 'revoked', retries: current?.retries ?? 0, attempts: current?.attempts ?? [], dateDone: new Date().toISOString() },
        this.deps.resultExpiresMs,
      );
    }
  }
}
