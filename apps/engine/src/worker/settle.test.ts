// The settle pipeline's batching, against ports that fail on purpose: the
// adapters' own behaviour is proven by the conformance suites.
import { describe, expect, it } from 'vitest';
import type { EventProducer } from '../events/events.js';
import type { ResultBackend } from '../result/backend.js';
import type { ResultRecord } from '../result/record.js';
import type { MessageCodec } from '../task/message-codec.js';
import type { TaskMessage } from '../task/message.js';
import type { Broker, Settlement } from './broker.js';
import { SettlePipeline, type Settling } from './settle.js';

const silent = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

function message(id: string): TaskMessage {
  return { v: 1, id, task: 't', args: [], queue: 'q', priority: 0, retries: 0, headers: {}, attempts: [], sentAt: 0 };
}

function settling(id: string): Settling {
  const msg = message(id);
  return { delivery: { id, queue: 'q', body: JSON.stringify(msg), deliveries: 1 }, message: msg, startedAt: 1 };
}

/** A result backend whose batch write fails, and whose single writes fail for the ids given. */
function failingBackend(badIds: Set<string>, calls: { many: number; single: string[] }): ResultBackend {
  const stored = new Map<string, ResultRecord>();
  return {
    storeMany: () => {
      calls.many++;
      return Promise.reject(new Error('a node is failing over'));
    },
    store: (record) => {
      calls.single.push(record.id);
      if (badIds.has(record.id)) return Promise.reject(new Error(`cannot store ${record.id}`));
      stored.set(record.id, record);
      return Promise.resolve();
    },
    storeUnlessReady: () => Promise.resolve(true),
    get: (id) => Promise.resolve(stored.get(id)),
    waitForReady: () => Promise.resolve(undefined),
    forget: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}

function pipeline(backend: ResultBackend, settled: Settlement[][]): SettlePipeline {
  const broker = {
    settle: (batch: Settlement[]) => {
      settled.push(batch);
      return Promise.resolve();
    },
  } as unknown as Broker;
  return new SettlePipeline({
    hostname: 'w@host',
    logger: silent,
    events: { enabled: false, emit: () => undefined } as unknown as EventProducer,
    broker: () => broker,
    backend,
    codec: {} as MessageCodec,
    resultExpiresMs: 60_000,
    ignoresResult: () => false,
    canvas: { onSucceeded: () => Promise.resolve(), onFailed: () => Promise.resolve() },
  });
}

describe('the settle pipeline', () => {
  it("writes a turn's outcomes together: one storeMany, then one settle with every ack", async () => {
    const records: ResultRecord[][] = [];
    const backend = { ...failingBackend(new Set(), { many: 0, single: [] }), storeMany: (batch: readonly ResultRecord[]) => (records.push([...batch]), Promise.resolve()) };
    const settled: Settlement[][] = [];
    const p = pipeline(backend, settled);
    await Promise.all(['a', 'b', 'c'].map((id) => p.settle(settling(id), { kind: 'ran', ok: true, value: id, endedAt: 2 })));
    expect(records.map((batch) => batch.map((r) => `${r.id}:${r.state}`))).toEqual([['a:SUCCESS', 'b:SUCCESS', 'c:SUCCESS']]);
    expect(settled.map((batch) => batch.map((s) => `${s.kind}:${s.delivery.id}`))).toEqual([['ack:a', 'ack:b', 'ack:c']]);
  });

  it('when the batch write fails, stores one by one and leaves unsettled only the deliveries whose record could not be stored', async () => {
    const calls = { many: 0, single: [] as string[] };
    const settled: Settlement[][] = [];
    const p = pipeline(failingBackend(new Set(['b']), calls), settled);
    await Promise.all(['a', 'b', 'c'].map((id) => p.settle(settling(id), { kind: 'ran', ok: true, value: null, endedAt: 2 })));
    expect(calls.many).toBe(1);
    expect(calls.single).toEqual(['a', 'b', 'c']);
    // b stays leased, to be delivered again once its lease expires: never acknowledged without its result.
    expect(settled.flat().map((s) => `${s.kind}:${s.delivery.id}`)).toEqual(['ack:a', 'ack:c']);
    expect(p.stats.succeeded).toBe(3);
  });
});
