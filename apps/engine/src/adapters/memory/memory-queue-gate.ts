// Pause flags and concurrency slots in process for an amqp:// broker whose
// `backend` is memory:// (see ../queue-gate.ts). Gates on the same memory://
// URL and prefix share one map, as the Redis keys are shared.
import type { GateState, QueueGate } from '../queue-gate.js';

interface Gate {
  paused: boolean;
  limit: number | null;
  /** Token → expiry, epoch ms. */
  slots: Map<string, number>;
}

export class MemoryGates {
  readonly gates = new Map<string, Gate>();
  gate(queue: string): Gate {
    let g = this.gates.get(queue);
    if (!g) this.gates.set(queue, (g = { paused: false, limit: null, slots: new Map() }));
    return g;
  }
}

/** Slots that have not expired; the expired ones are dropped (they are free). */
function held(g: Gate, now: number): number {
  for (const [token, until] of g.slots) if (until <= now) g.slots.delete(token);
  return g.slots.size;
}

export class MemoryQueueGate implements QueueGate {
  constructor(private readonly shared: MemoryGates) {}

  states(queues: string[], now: number): Promise<GateState[]> {
    return Promise.resolve(
      queues.map((queue) => {
        const g = this.shared.gate(queue);
        return { paused: g.paused, limit: g.limit, held: held(g, now) };
      }),
    );
  }

  setPaused(queue: string, paused: boolean): Promise<void> {
    this.shared.gate(queue).paused = paused;
    return Promise.resolve();
  }

  setLimit(queue: string, limit: number | null): Promise<void> {
    this.shared.gate(queue).limit = limit;
    return Promise.resolve();
  }

  takeSlots(queue: string, tokens: string[], until: number, now: number): Promise<number> {
    const g = this.shared.gate(queue);
    const n = g.limit === null ? tokens.length : Math.max(0, Math.min(tokens.length, g.limit - held(g, now)));
    for (const token of tokens.slice(0, n)) g.slots.set(token, until);
    return Promise.resolve(n);
  }

  holdSlots(queue: string, slots: { token: string; until: number }[]): Promise<void> {
    const g = this.shared.gate(queue);
    for (const s of slots) g.slots.set(s.token, s.until);
    return Promise.resolve();
  }

  renewSlots(queue: string, tokens: string[], until: number): Promise<void> {
    const g = this.shared.gate(queue);
    for (const token of tokens) if (g.slots.has(token)) g.slots.set(token, until);
    return Promise.resolve();
  }

  releaseSlots(queue: string, tokens: string[]): Promise<void> {
    const g = this.shared.gate(queue);
    for (const token of tokens) g.slots.delete(token);
    return Promise.resolve();
  }
}
