// The EventLog port: append, consumer-group reads with pending redelivery, tail.
import { afterEach, describe, expect, it } from 'vitest';
import type { EventLog } from '../../src/index.js';
import type { Kind } from '../support.js';
import { portHarness, type PortHarness } from './ports.js';

export function eventLogConformance(kind: Kind): void {
  describe(`event log port on the ${kind} adapter`, () => {
    let h: PortHarness;
    let log: EventLog;
    afterEach(async () => {
      await h.close();
    });
    const setup = (): EventLog => {
      h = portHarness(kind, 'eventlog');
      log = h.port('eventLog');
      return log;
    };

    it('appends entries in order and reads them through a group, redelivering unacknowledged ones to the same consumer', async () => {
      setup();
      expect(await log.lastId()).toBe('0-0');
      await log.append(['"a"', '"b"', '"c"'], 1000);
      const first = await log.read({ group: 'g', consumer: 'c', fromId: '0', count: 2, blockMs: 10 });
      expect(first.map((e) => e.event)).toEqual(['"a"', '"b"']);
      await log.ack('g', [first[0]!.id]);
      const pending = await log.read({ group: 'g', consumer: 'c', count: 10, blockMs: 10, pendingAfter: '0' });
      expect(pending.map((e) => e.event)).toEqual(['"b"']);
      const rest = await log.read({ group: 'g', consumer: 'c', count: 10, blockMs: 10 });
      expect(rest.map((e) => e.event)).toEqual(['"c"']);
      expect(await log.lastId()).toBe(rest[0]!.id);
    });

    it('tails entries after an id without a group', async () => {
      setup();
      await log.append(['"x"'], 1000);
      const after = await log.lastId();
      await log.append(['"y"', '"z"'], 1000);
      expect((await log.tail(after, 10, 10)).map((e) => e.event)).toEqual(['"y"', '"z"']);
    });

    it('keeps about maxLen entries', async () => {
      setup();
      // Trimming may be approximate (Redis trims whole stream nodes of 100 entries): write well past one.
      for (let i = 0; i < 500; i += 50) await log.append(Array.from({ length: 50 }, (_, j) => String(i + j)), 5);
      const all = await log.read({ group: 'trim', consumer: 'c', fromId: '0', count: 1000, blockMs: 10 });
      expect(all.length).toBeLessThan(500);
      expect(all.at(-1)?.event).toBe('499');
    });
  });
}
