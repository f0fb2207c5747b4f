// The broker port on RabbitMQ. Queues are durable classic queues with
// priorities 0–9; messages are persistent and every publish waits for its
// publisher confirm, so an acknowledged delay() survives a broker restart.
//
// A lease is a message taken with basic.get and not yet acknowledged: a worker
// that dies (its connection closes) gets its messages redelivered by RabbitMQ;
// a lease the worker outlives (recoverExpired) is published again and then
// acknowledged. Classic queues keep no delivery count, so the adapter carries
// one in a header: each re-publish writes the deliveries so far, and a message
// RabbitMQ redelivers after a lost consumer is re-published once with the lost
// delivery counted before it is handed out. Past `maxDeliveries` it goes to the
// queue's dead-letter queue with the reason in a header.
//
// Revocations and rate-limit buckets live in `store` (a Redis or memory
// adapter's broker, from the `backend` option): AMQP has no keyed state. Pause
// flags and concurrency slots live in the same store's `gate` (see
// ../queue-gate.ts). Reserve reads a queue's flag and limit from a copy at most
// GATE_TTL_MS old, so an unpaused, unlimited queue costs no round trip to the
// store per message; it skips a paused queue without fetching from it, and
// takes a limited queue's slots (one atomic step in the store) before it
// fetches that many messages, so nothing is fetched that would have to go
// back. Messages a worker already holds for a queue paused since go back
// through the worker's own check (pausedQueues, twice a second).
import { randomUUID } from 'node:crypto';
import type { Channel, ConfirmChannel, GetMessage, Options } from 'amqplib';
import type { Broker, DeadLetter, Delivery, OutgoingMessage, QueueStats, ReserveResult, Settlement } from '../../worker/broker.js';
import type { GateState, QueueGate } from '../queue-gate.js';
import type { AmqpConnection, Link } from './connection.js';
import {
  DELAY_LEVELS,
  HEADER,
  MAX_DELAY_SECONDS,
  MAX_PRIORITY,
  deadQueue,
  delayExchange,
  delayQueue,
  delayRoutingKey,
  deliverBinding,
  deliverExchange,
  levelBinding,
  passBinding,
  readyQueue,
  registryQueue,
} from './topology.js';

/** A message just taken from a queue, and the lease channel that took it. */
interface Taken {
  queue: string;
  message: GetMessage;
  channel: number;
  /** The concurrency slot taken for it, on a limited queue. */
  slot?: string | undefined;
}

interface Lease {
  generation: number;
  /** Which of the link's lease channels took it: the ack must go there. */
  channel: number;
  message: GetMessage;
  delivery: Delivery;
  until: number;
  /** Its concurrency slot in the gate, held until the lease ends (a queue with a limit). */
  slot?: string | undefined;
}

/** How many dead letters (or registry entries) one peek reads at most. */
const PEEK_MAX = 10_000;
const READY_ARGS: Options.AssertQueue = { durable: true, arguments: { 'x-max-priority': MAX_PRIORITY } };
const POLL_FIRST_MS = 10;
const POLL_MAX_MS = 250;
/**
 * How long a queue's pause flag and limit read from the gate are used before
 * being read again: a pause stops new fetches this soon after, and a worker
 * waiting at a limit or on a paused queue looks this often.
 */
const GATE_TTL_MS = 250;

export class AmqpBroker implements Broker {
  private readonly leases = new Map<string, Lease>();
  /** Queues declared on each connection generation. */
  private declared = { generation: 0, ready: new Map<string, Promise<void>>(), delay: new Map<string, Promise<void>>(), exchanges: false };
  private readonly knownQueues = new Set<string>();
  private readonly maxDeliveries = new Map<string, number>();
  private readonly rates = new Map<string, { in: Map<number, number>; out: Map<number, number> }>();
  /** Each queue's gate as last read, and when. */
  private readonly gates = new Map<string, { state: GateState; at: number }>();
  /** Slot tokens are this process's id and a counter: unique across workers. */
  private readonly slotOwner = randomUUID();
  private slotCount = 0;
  private closed = false;

  constructor(
    private readonly connection: AmqpConnection,
    private readonly prefix: string,
    private readonly store: () => Broker,
    private readonly gate: () => QueueGate,
  ) {}

  close(): void {
    this.closed = true;
  }

  // --- topology -----------------------------------------------------------

  private async linkFor(): Promise<Link> {
    const link = await this.connection.link();
    if (this.declared.generation !== link.generation) {
      this.declared = { generation: link.generation, ready: new Map(), delay: new Map(), exchanges: false };
    }
    return link;
  }

  /** Declares a queue's ready and dead queues (once per connection) and registers its name. */
  private declareQueue(link: Link, queue: string): Promise<void> {
    return memo(this.declared.ready, queue, async () => {
      await link.confirm.assertQueue(readyQueue(this.prefix, queue), READY_ARGS);
      await link.confirm.assertQueue(deadQueue(this.prefix, queue), { durable: true });
      if (!this.knownQueues.has(queue)) {
        await link.confirm.assertQueue(registryQueue(this.prefix), { durable: true });
        await this.connection.publish('', registryQueue(this.prefix), Buffer.from(queue), { persistent: true });
        this.knownQueues.add(queue);
      }
    });
  }

  /** Declares the delay exchanges and a queue's 28 level queues (once per connection). */
  private async declareDelay(link: Link, queue: string): Promise<void> {
    await this.declareQueue(link, queue);
    await memo(this.declared.delay, queue, async () => {
      const ch = link.confirm;
      if (!this.declared.exchanges) {
        await ch.assertExchange(deliverExchange(this.prefix), 'topic', { durable: true });
        for (let level = 0; level < DELAY_LEVELS; level++) {
          await ch.assertExchange(delayExchange(this.prefix, level), 'topic', { durable: true });
          const next = level === 0 ? deliverExchange(this.prefix) : delayExchange(this.prefix, level - 1);
          await ch.bindExchange(next, delayExchange(this.prefix, level), passBinding(level));
        }
        this.declared.exchanges = true;
      }
      for (let level = 0; level < DELAY_LEVELS; level++) {
        const name = delayQueue(this.prefix, queue, level);
        await ch.assertQueue(name, {
          durable: true,
          arguments: {
            'x-message-ttl': 2 ** level * 1000,
            'x-dead-letter-exchange': level === 0 ? deliverExchange(this.prefix) : delayExchange(this.prefix, level - 1),
          },
        });
        await ch.bindQueue(name, delayExchange(this.prefix, level), levelBinding(level, queue));
      }
      await ch.bindQueue(readyQueue(this.prefix, queue), deliverExchange(this.prefix), deliverBinding(queue));
    });
  }

  // --- publishing ---------------------------------------------------------

  /** Publishes one message into its ready queue, or into the delay levels when it is due later. */
  private async send(m: { id: string; queue: string; priority: number; eta?: number | undefined; body: string }, previous: number): Promise<void> {
    const link = await this.linkFor();
    const headers: Record<string, unknown> = { [HEADER.sequence]: nextSequence() };
    if (previous > 0) headers[HEADER.deliveries] = previous;
    const options: Options.Publish = {
      persistent: true,
      messageId: m.id,
      priority: Math.max(0, Math.min(MAX_PRIORITY, m.priority)),
      contentType: 'application/json',
      headers,
    };
    const seconds = m.eta === undefined ? 0 : Math.ceil((m.eta - Date.now()) / 1000);
    if (seconds > 0) {
      await this.declareDelay(link, m.queue);
      headers[HEADER.eta] = m.eta;
      const key = delayRoutingKey(Math.min(seconds, MAX_DELAY_SECONDS), m.queue);
      await this.connection.publish(delayExchange(this.prefix, DELAY_LEVELS - 1), key, Buffer.from(m.body), options);
    } else {
      await this.declareQueue(link, m.queue);
      await this.connection.publish('', readyQueue(this.prefix, m.queue), Buffer.from(m.body), options);
    }
  }

  async enqueue(m: OutgoingMessage): Promise<void> {
    await this.send(m, 0);
    this.count(m.queue, 'in', 1);
  }

  async enqueueBulk(messages: OutgoingMessage[]): Promise<void> {
    // Published together, confirmed together: one wait for the whole batch.
    await Promise.all(messages.map((m) => this.send(m, 0)));
    for (const m of messages) this.count(m.queue, 'in', 1);
  }

  /** Dead-letters a message with its reason (published, confirmed, then the original acked by the caller). */
  private async sendDead(queue: string, id: string, body: string, reason: string, at: number): Promise<void> {
    const link = await this.linkFor();
    await this.declareQueue(link, queue);
    await this.connection.publish('', deadQueue(this.prefix, queue), Buffer.from(body), {
      persistent: true,
      messageId: id,
      headers: { [HEADER.reason]: reason, [HEADER.deadAt]: at },
    });
  }

  /**
   * RabbitMQ moves delayed messages itself when their TTL runs out, so with the
   * real clock there is nothing to do. A `now` in the future moves the
   * messages due by then early (tests and admin tools).
   */
  async promoteDue(queue: string, now?: number): Promise<number> {
    if (now === undefined || now <= Date.now()) return 0;
    const link = await this.linkFor();
    await this.declareDelay(link, queue);
    return this.connection.withChannel(async (ch) => {
      const due: GetMessage[] = [];
      for (let level = 0; level < DELAY_LEVELS; level++) {
        for (const m of await drain(ch, delayQueue(this.prefix, queue, level), PEEK_MAX)) {
          if (Number(m.properties.headers?.[HEADER.eta] ?? 0) <= now) due.push(m);
        }
      }
      for (const m of due) {
        ch.sendToQueue(readyQueue(this.prefix, queue), m.content, { ...publishOptionsOf(m), headers: withoutEta(m) });
      }
      await ch.waitForConfirms();
      for (const m of due) ch.ack(m);
      // The rest go back when the channel closes, keeping their expiry.
      return due.length;
    });
  }

  // --- leases -------------------------------------------------------------

  async reserve(queues: string[], count: number, leaseMs: number): Promise<ReserveResult> {
    const result: ReserveResult = { deliveries: [], revoked: [], deadLettered: [] };
    const link = await this.linkFor();
    const gates = await this.gateStates(queues);
    const until = Date.now() + leaseMs;
    const taken: Taken[] = [];
    /** Slots taken and then not used (fewer messages than slots, copies, revoked ids): given back at the end. */
    const unused = new Map<string, string[]>();
    let revoked: boolean[];
    try {
      for (const queue of queues) {
        if (taken.length >= count) break;
        const gate = gates.get(queue)!;
        if (gate.paused) continue;
        let want = count - taken.length;
        let slots: string[] | undefined;
        if (gate.limit !== null) {
          slots = await this.takeSlots(queue, want, until);
          if (slots.length === 0) continue;
          unused.set(queue, slots);
          want = slots.length;
        }
        await this.declareQueue(link, queue);
        for (const t of await this.fetch(link, queue, want)) {
          if (t.message.fields.redelivered) await this.countLostDelivery(link, t, result);
          else {
            t.slot = slots?.shift();
            taken.push(t);
          }
        }
      }
      const store = this.store();
      revoked = await Promise.all(taken.map((t) => store.isRevoked(idOf(t.message))));
    } catch (err) {
      // No lease was made: the slots taken go back at once rather than when they expire.
      for (const t of taken) if (t.slot !== undefined) push(unused, t.queue, t.slot);
      await this.releaseSlots(unused);
      throw err;
    }
    const leasedIds = new Set([...this.leases.values()].map((l) => l.delivery.id));
    taken.forEach(({ queue, message, channel, slot }, i) => {
      const id = idOf(message);
      const body = message.content.toString();
      // A second copy of a message this process holds (enqueued twice, or re-sent after a lost confirm) is one message.
      const copy = leasedIds.has(id);
      leasedIds.add(id);
      if (copy || revoked[i]) {
        link.leases[channel]!.ack(message);
        if (slot !== undefined) push(unused, queue, slot);
        if (!copy) result.revoked.push({ id, queue, body });
        return;
      }
      const receipt = `${link.generation}:${channel}:${message.fields.deliveryTag}`;
      const delivery: Delivery = { id, receipt, queue, body, deliveries: previousDeliveries(message) + 1 };
      this.leases.set(receipt, { generation: link.generation, channel, message, delivery, until, slot });
      result.deliveries.push(delivery);
    });
    await this.releaseSlots(unused);
    return result;
  }

  /**
   * Up to `want` messages from the head of a queue, taken with basic.get on
   * every lease channel at once, then put back in queue order: highest
   * priority first, publish order within a priority.
   */
  private async fetch(link: Link, queue: string, want: number): Promise<Taken[]> {
    const out: Taken[] = [];
    let claimed = 0;
    let empty = false;
    await Promise.all(
      link.leases.map(async (ch, channel) => {
        while (!empty && claimed < want) {
          claimed++;
          const message = await ch.get(readyQueue(this.prefix, queue), { noAck: false });
          if (message === false) {
            empty = true;
            claimed--;
          } else {
            out.push({ queue, message, channel });
          }
        }
      }),
    );
    return out.sort((a, b) => priorityOf(b.message) - priorityOf(a.message) || sequenceOf(a.message) - sequenceOf(b.message));
  }

  /**
   * A message RabbitMQ handed out before to a consumer that is gone: counts
   * that delivery into its header (re-publishing it), or dead-letters it once
   * it has been lost `maxDeliveries` times, so a message that kills its worker
   * cannot loop forever.
   */
  private async countLostDelivery(link: Link, { queue, message, channel }: Taken, result: ReserveResult): Promise<void> {
    const lost = previousDeliveries(message) + 1;
    const max = this.maxDeliveries.get(queue);
    const id = idOf(message);
    if (max !== undefined && lost >= max) {
      const reason = `delivered ${lost} times to workers that died or lost their connection (maxDeliveries ${max})`;
      await this.sendDead(queue, id, message.content.toString(), reason, Date.now());
      result.deadLettered?.push({ id, queue, reason });
    } else {
      await this.connection.publish('', readyQueue(this.prefix, queue), message.content, {
        ...publishOptionsOf(message),
        headers: { ...message.properties.headers, [HEADER.deliveries]: lost },
      });
    }
    link.leases[channel]!.ack(message);
  }

  async waitForWork(queues: string[], timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let wait = POLL_FIRST_MS;
    while (!this.closed && Date.now() < deadline) {
      try {
        const link = await this.linkFor();
        const gates = await this.gateStates(queues);
        for (const queue of queues) {
          // A paused queue, or one at its limit, has nothing for this worker however many messages wait in it.
          const gate = gates.get(queue)!;
          if (gate.paused || (gate.limit !== null && gate.held >= gate.limit)) continue;
          await this.declareQueue(link, queue);
          if ((await link.confirm.checkQueue(readyQueue(this.prefix, queue))).messageCount > 0) return;
        }
      } catch {
        return; // The connection is gone: the caller's next reserve waits for the recovery.
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(wait, Math.max(0, deadline - Date.now()))));
      wait = Math.min(wait * 2, POLL_MAX_MS);
    }
  }

  async renewLeases(deliveries: Delivery[], leaseMs: number): Promise<void> {
    const until = Date.now() + leaseMs;
    const slots = new Map<string, string[]>();
    for (const d of deliveries) {
      const lease = d.receipt === undefined ? undefined : this.leases.get(d.receipt);
      if (!lease) continue;
      lease.until = until;
      if (lease.slot !== undefined) push(slots, d.queue, lease.slot);
    }
    await Promise.all([...slots].map(([queue, tokens]) => this.gate().renewSlots(queue, tokens, until)));
  }

  /** Publishes what a settlement sends on (confirmed), then acknowledges the originals. */
  async settle(batch: Settlement[]): Promise<void> {
    if (batch.length === 0) return;
    const now = Date.now();
    const { generation } = await this.linkFor();
    const live: { lease: Lease; settlement: Settlement }[] = [];
    const freed = new Map<string, string[]>();
    for (const settlement of batch) {
      const lease = this.takeLease(settlement.delivery, generation, freed);
      if (lease) live.push({ lease, settlement });
    }
    await Promise.all(
      live.map(({ lease, settlement: s }) => {
        const d = lease.delivery;
        if (s.kind === 'retry') {
          return this.send({ id: d.id, queue: d.queue, priority: priorityOf(lease.message), eta: s.eta, body: s.body }, s.keepDeliveries ? d.deliveries - 1 : 0);
        }
        if (s.kind === 'dead') return this.sendDead(d.queue, d.id, d.body, s.reason, now);
        return Promise.resolve();
      }),
    );
    for (const { lease, settlement } of live) {
      this.ackLease(lease);
      if (settlement.kind === 'ack') this.count(lease.delivery.queue, 'out', 1);
    }
    await this.releaseSlots(freed);
  }

  async recoverExpired(queue: string, maxDeliveries: number, now = Date.now()): Promise<{ requeued: number; dead: number }> {
    this.maxDeliveries.set(queue, maxDeliveries);
    const out = { requeued: 0, dead: 0 };
    const { generation } = await this.linkFor();
    const freed = new Map<string, string[]>();
    for (const [receipt, lease] of this.leases) {
      if (lease.delivery.queue !== queue) continue;
      // RabbitMQ put it back when its connection went: sending a copy would run it twice.
      if (lease.generation !== generation) {
        this.forget(receipt, lease, freed);
        continue;
      }
      if (lease.until > now) continue;
      this.forget(receipt, lease, freed);
      const d = lease.delivery;
      if (d.deliveries >= maxDeliveries) {
        await this.sendDead(queue, d.id, d.body, `lease expired after ${d.deliveries} deliveries (maxDeliveries ${maxDeliveries})`, now);
        out.dead++;
      } else {
        await this.send({ id: d.id, queue, priority: priorityOf(lease.message), body: d.body }, d.deliveries);
        out.requeued++;
      }
      this.ackLease(lease);
    }
    await this.releaseSlots(freed);
    return out;
  }

  /**
   * The lease of a delivery, forgotten (its slot added to `freed`); none when
   * it expired or its connection is gone (RabbitMQ redelivers it).
   */
  private takeLease(d: Delivery, generation: number, freed: Map<string, string[]>): Lease | undefined {
    if (d.receipt === undefined) return undefined;
    const lease = this.leases.get(d.receipt);
    if (lease) this.forget(d.receipt, lease, freed);
    // A lease of an older connection: RabbitMQ already redelivers that message, so nothing is sent for it.
    return lease?.generation === generation ? lease : undefined;
  }

  /** Drops a lease; its slot, if it has one, goes into `freed` for releaseSlots. */
  private forget(receipt: string, lease: Lease, freed: Map<string, string[]>): void {
    this.leases.delete(receipt);
    if (lease.slot !== undefined) push(freed, lease.delivery.queue, lease.slot);
  }

  private ackLease(lease: Lease): void {
    this.connection
      .link()
      .then((link) => {
        // A tag from an older connection means nothing on this one: RabbitMQ already put that message back.
        if (link.generation === lease.generation && this.connection.isLive(link)) link.leases[lease.channel]!.ack(lease.message);
      })
      // The channel closed under the ack: the message is redelivered (at-least-once), nothing to report here.
      .catch(() => undefined);
  }

  // --- revocations and rate limits: the store's -----------------------------

  revoke(ids: string[], ttlMs: number): Promise<void> {
    return this.store().revoke(ids, ttlMs);
  }

  isRevoked(id: string): Promise<boolean> {
    return this.store().isRevoked(id);
  }

  takeToken(key: string, perMs: number, capacity: number): Promise<number> {
    return this.store().takeToken(key, perMs, capacity);
  }

  // --- introspection ------------------------------------------------------

  /**
   * Ready, delayed and dead come from RabbitMQ; paused and the limit from the
   * gate. Leased counts every worker's leases on a queue with a limit (the
   * slots held), else this process's leases only; the per-minute rates count
   * this process's traffic (RabbitMQ keeps neither without its management
   * plugin).
   */
  async queueStats(queue: string): Promise<QueueStats> {
    const link = await this.linkFor();
    await this.declareDelay(link, queue);
    const gate = (await this.gateStates([queue], true)).get(queue)!;
    const count = async (name: string): Promise<number> => (await link.confirm.checkQueue(name)).messageCount;
    const ready = await count(readyQueue(this.prefix, queue));
    const dead = await count(deadQueue(this.prefix, queue));
    let delayed = 0;
    for (let level = 0; level < DELAY_LEVELS; level++) delayed += await count(delayQueue(this.prefix, queue, level));
    let leased = 0;
    for (const lease of this.leases.values()) if (lease.delivery.queue === queue) leased++;
    if (gate.limit !== null) leased = Math.max(leased, gate.held);
    const rate = this.rates.get(queue);
    const oldest = Math.floor(Date.now() / 60_000) - 60;
    const recent = (m: Map<number, number> | undefined): Record<number, number> => {
      const out: Record<number, number> = {};
      for (const [minute, n] of m ?? []) if (minute >= oldest) out[minute] = n;
      return out;
    };
    return {
      ready,
      delayed,
      leased,
      dead,
      paused: gate.paused,
      concurrency: gate.limit,
      enqueuedByMinute: recent(rate?.in),
      dequeuedByMinute: recent(rate?.out),
    };
  }

  private count(queue: string, dir: 'in' | 'out', n: number): void {
    let rate = this.rates.get(queue);
    if (!rate) this.rates.set(queue, (rate = { in: new Map(), out: new Map() }));
    const minute = Math.floor(Date.now() / 60_000);
    const m = rate[dir];
    m.set(minute, (m.get(minute) ?? 0) + n);
    for (const key of m.keys()) if (key < minute - 60) m.delete(key);
  }

  async deadLetters(queue: string, limit = 100): Promise<DeadLetter[]> {
    const link = await this.linkFor();
    await this.declareQueue(link, queue);
    // Read without acknowledging: closing the channel puts every one back.
    const all = await this.connection.withChannel((ch) => drain(ch, deadQueue(this.prefix, queue), PEEK_MAX));
    return all.slice(-limit).map((m) => ({
      id: idOf(m),
      queue,
      body: m.content.toString(),
      reason: String(m.properties.headers?.[HEADER.reason] ?? ''),
      at: Number(m.properties.headers?.[HEADER.deadAt] ?? 0),
    }));
  }

  async requeueDead(queue: string, ids: string[] | undefined, limit: number): Promise<number> {
    return this.takeDead(queue, ids, limit, (ch, m) =>
      ch.sendToQueue(readyQueue(this.prefix, queue), m.content, {
        persistent: true,
        messageId: idOf(m),
        contentType: 'application/json',
        headers: { [HEADER.sequence]: nextSequence() },
      }),
    );
  }

  async dropDead(queue: string, ids: string[] | undefined, limit: number): Promise<number> {
    return this.takeDead(queue, ids, limit, () => undefined);
  }

  /** Takes the chosen dead letters out (after `onEach` and its confirms); the others go back. */
  private async takeDead(
    queue: string,
    ids: string[] | undefined,
    limit: number,
    onEach: (ch: ConfirmChannel, m: GetMessage) => unknown,
  ): Promise<number> {
    const link = await this.linkFor();
    await this.declareQueue(link, queue);
    const wanted = ids && new Set(ids);
    return this.connection.withChannel(async (ch) => {
      const all = await drain(ch, deadQueue(this.prefix, queue), PEEK_MAX);
      const chosen = (wanted ? all.filter((m) => wanted.has(idOf(m))) : all).slice(0, limit);
      for (const m of chosen) onEach(ch, m);
      await ch.waitForConfirms();
      for (const m of chosen) ch.ack(m);
      return chosen.length;
    });
  }

  // --- pause and concurrency: the store's gate -------------------------------

  /** The flag goes to the gate; workers elsewhere see it within GATE_TTL_MS (this process at once). */
  async setPaused(queue: string, paused: boolean): Promise<void> {
    await this.declareQueue(await this.linkFor(), queue);
    await this.gate().setPaused(queue, paused);
    await this.gateStates([queue], true);
  }

  /** Read from the gate itself, not the copy reserve uses: the worker asks this to hand back what it holds. */
  async pausedQueues(queues: string[]): Promise<string[]> {
    const gates = await this.gateStates(queues, true);
    return queues.filter((queue) => gates.get(queue)!.paused);
  }

  async setConcurrency(queue: string, limit: number | null): Promise<void> {
    await this.declareQueue(await this.linkFor(), queue);
    await this.gate().setLimit(queue, limit);
    await this.gateStates([queue], true);
  }

  /**
   * Each queue's gate: the copy when younger than GATE_TTL_MS (unless
   * `fresh`), else read again, all stale ones in one round trip.
   */
  private async gateStates(queues: string[], fresh = false): Promise<Map<string, GateState>> {
    const now = Date.now();
    const stale = fresh ? queues : queues.filter((queue) => !(now - (this.gates.get(queue)?.at ?? -Infinity) < GATE_TTL_MS));
    if (stale.length > 0) {
      const states = await this.gate().states(stale, now);
      await Promise.all(stale.map((queue, i) => this.noteGate(queue, states[i]!, now)));
    }
    return new Map(queues.map((queue) => [queue, this.gates.get(queue)!.state]));
  }

  /**
   * Keeps a queue's gate. A limit this process had not seen yet makes its
   * leases of the queue, taken without a slot, hold one from now on, so the
   * limit counts them like every later lease.
   */
  private async noteGate(queue: string, state: GateState, at: number): Promise<void> {
    const before = this.gates.get(queue)?.state;
    this.gates.set(queue, { state, at });
    if (state.limit === null || before === undefined || before.limit !== null) return;
    const unslotted = [...this.leases.values()].filter((l) => l.delivery.queue === queue && l.slot === undefined);
    for (const lease of unslotted) lease.slot = this.newSlot();
    await this.gate().holdSlots(queue, unslotted.map((l) => ({ token: l.slot!, until: l.until })));
  }

  /** Up to `want` slots of a limited queue, taken in the gate; fewer (or none) when the queue is at its limit. */
  private async takeSlots(queue: string, want: number, until: number): Promise<string[]> {
    const tokens = Array.from({ length: want }, () => this.newSlot());
    const n = await this.gate().takeSlots(queue, tokens, until, Date.now());
    const copy = this.gates.get(queue);
    // Fewer than asked: the queue is full now, so waitForWork need not look until the copy is read again.
    if (copy && copy.state.limit !== null) copy.state.held = n < want ? copy.state.limit : copy.state.held + n;
    return tokens.slice(0, n);
  }

  /**
   * Gives slots back. A failure (the store unreachable) is not the caller's:
   * the messages are settled already, and a slot not given back frees itself
   * when the lease it belonged to would have expired.
   */
  private async releaseSlots(slots: Map<string, string[]>): Promise<void> {
    await Promise.all([...slots].map(([queue, tokens]) => this.gate().releaseSlots(queue, tokens).catch(() => undefined)));
  }

  private newSlot(): string {
    return `${this.slotOwner}:${++this.slotCount}`;
  }

  async purge(queue: string): Promise<number> {
    const link = await this.linkFor();
    await this.declareDelay(link, queue);
    let n = (await link.confirm.purgeQueue(readyQueue(this.prefix, queue))).messageCount;
    for (let level = 0; level < DELAY_LEVELS; level++) n += (await link.confirm.purgeQueue(delayQueue(this.prefix, queue, level))).messageCount;
    return n;
  }

  /** Every queue name in the registry queue; duplicates (one per process that used a queue) are dropped as it is read. */
  async listQueues(): Promise<string[]> {
    const link = await this.linkFor();
    await link.confirm.assertQueue(registryQueue(this.prefix), { durable: true });
    const names = await this.connection.withChannel(async (ch) => {
      const seen = new Set<string>();
      for (const m of await drain(ch, registryQueue(this.prefix), PEEK_MAX)) {
        const name = m.content.toString();
        if (seen.has(name)) ch.ack(m);
        seen.add(name);
      }
      return seen;
    });
    return [...new Set([...names, ...this.knownQueues])].sort();
  }
}

/** The promise `make` gives for `key`, made once; a failure is forgotten so the next call tries again. */
function memo(done: Map<string, Promise<void>>, key: string, make: () => Promise<void>): Promise<void> {
  let p = done.get(key);
  if (!p) {
    p = make();
    done.set(key, p);
    p.catch(() => done.delete(key));
  }
  return p;
}

/** Adds `value` to the list of `key`. */
function push(lists: Map<string, string[]>, key: string, value: string): void {
  const list = lists.get(key);
  if (list) list.push(value);
  else lists.set(key, [value]);
}

/** Every message of a queue (up to `max`), unacknowledged on `ch`. */
async function drain(ch: Channel, queue: string, max: number): Promise<GetMessage[]> {
  const out: GetMessage[] = [];
  while (out.length < max) {
    const m = await ch.get(queue, { noAck: false });
    if (m === false) break;
    out.push(m);
  }
  return out;
}

function idOf(m: GetMessage): string {
  return String(m.properties.messageId ?? '');
}

function previousDeliveries(m: GetMessage): number {
  return Number(m.properties.headers?.[HEADER.deliveries] ?? 0);
}

function publishOptionsOf(m: GetMessage): Options.Publish {
  return { persistent: true, messageId: idOf(m), priority: priorityOf(m), contentType: 'application/json' };
}

let lastSequence = 0;

/** Increasing in this process: microseconds since the epoch, bumped past the last one. */
function nextSequence(): number {
  lastSequence = Math.max(lastSequence + 1, Date.now() * 1000);
  return lastSequence;
}

function sequenceOf(m: GetMessage): number {
  return Number(m.properties.headers?.[HEADER.sequence] ?? 0);
}

function priorityOf(m: GetMessage): number {
  return Number(m.properties.priority ?? 0);
}

function withoutEta(m: GetMessage): Record<string, unknown> {
  const { [HEADER.eta]: _eta, ...rest } = (m.properties.headers ?? {}) as Record<string, unknown>;
  return rest;
}
