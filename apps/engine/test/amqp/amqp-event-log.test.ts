// The event log on a RabbitMQ stream across processes: a consumer group's
// committed offset lives in RabbitMQ, so a reader that restarts (a new
// adapter, as after a gateway restart) resumes at the oldest entry it had not
// acknowledged, and a new group at '$' starts after the newest entry.
import { afterEach, describe, expect, it } from 'vitest';
import { portHarness, type PortHarness } from '../conformance/ports.js';

describe('amqp event log across restarts', () => {
  let h: PortHarness;
  afterEach(async () => {
    await h.close();
  });

  it('resumes a group where its last reader stopped acknowledging, and starts a new group after the newest entry', async () => {
    h = portHarness('amqp', 'eventlog-resume');
    const before = h.port('eventLog');
    await before.append(['"a"', '"b"', '"c"'], 1000);
    const read = await before.read({ group: 'gw', consumer: 'c1', fromId: '0', count: 10, blockMs: 50 });
    expect(read.map((e) => e.event)).toEqual(['"a"', '"b"', '"c"']);
    await before.ack('gw', [read[0]!.id]);

    // A new process: nothing pending in memory, the committed offset in RabbitMQ.
    const after = h.port('eventLog');
    await after.append(['"d"'], 1000);
    const resumed = await after.read({ group: 'gw', consumer: 'c1', count: 10, blockMs: 50 });
    expect(resumed.map((e) => e.event)).toEqual(['"b"', '"c"', '"d"']);
    expect(resumed.map((e) => e.id)).toEqual([read[1]!.id, read[2]!.id, await after.lastId()]);

    const fresh = await after.read({ group: 'new', consumer: 'c1', count: 10, blockMs: 50 });
    expect(fresh).toEqual([]);
    await after.append(['"e"'], 1000);
    expect((await after.read({ group: 'new', consumer: 'c1', count: 10, blockMs: 1_000 })).map((e) => e.event)).toEqual(['"e"']);
  });
});
