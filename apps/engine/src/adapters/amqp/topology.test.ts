import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../errors.js';
import { requirePort } from '../adapter.js';
import { createAdapter } from '../create-adapter.js';
import { delayRoutingKey, deliverBinding, levelBinding, passBinding } from './topology.js';

/** Does a topic binding match a routing key (`*` one word, `#` any number of words)? */
function matches(binding: string, key: string): boolean {
  const b = binding.split('.');
  const k = key.split('.');
  const go = (i: number, j: number): boolean => {
    if (i === b.length) return j === k.length;
    if (b[i] === '#') return go(i + 1, j) || (j < k.length && go(i, j + 1));
    return j < k.length && (b[i] === '*' || b[i] === k[j]) && go(i + 1, j + 1);
  };
  return go(0, 0);
}

describe('amqp delay levels', () => {
  it('writes the delay in 28 bits before the queue name, and each level takes exactly the messages whose bit is set', () => {
    const key = delayRoutingKey(5, 'mail.out');
    expect(key).toBe(`${'0.'.repeat(25)}1.0.1.mail.out`);
    // 5 s = 4 s (level 2) + 1 s (level 0); every other level passes it on.
    const levels = Array.from({ length: 28 }, (_, level) => level).filter((level) => matches(levelBinding(level, 'mail.out'), key));
    expect(levels).toEqual([0, 2]);
    expect(Array.from({ length: 28 }, (_, level) => matches(passBinding(level), key)).filter(Boolean)).toHaveLength(26);
    // The last hop reaches this queue only, not one whose name ends the same way.
    expect(matches(deliverBinding('mail.out'), key)).toBe(true);
    expect(matches(deliverBinding('out'), key)).toBe(false);
    expect(matches(levelBinding(0, 'out'), key)).toBe(false);
  });
});

describe('amqp adapter', () => {
  it('offers no store ports, and without a store names the `backend` option', () => {
    const adapter = createAdapter('amqp://guest:secret@rabbit:5672', 'p:');
    expect(adapter.kind).toBe('amqp');
    expect(adapter.scheduleStore).toBeUndefined();
    expect(() => requirePort(adapter, 'broker', 'test')).toThrow(ConfigError);
    expect(() => requirePort(adapter, 'broker', 'test')).toThrow(/^backend: the amqp broker \(amqp:\/\/\*\*\*@rabbit:5672\) keeps revocations and rate limits in the `backend` store/);
  });
});
