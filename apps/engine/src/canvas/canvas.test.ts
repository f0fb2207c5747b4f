import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { Lovage } from '../app/lovage.js';
import { chain, group } from './signature.js';

describe('canvas outside the conformance suites', () => {
  it("app.workflows.retryFailed() throws a ConfigError naming it with protocol 'celery', before touching the broker", async () => {
    const app = new Lovage({ name: 'c', broker: 'redis://127.0.0.1:1/0', protocol: 'celery', logLevel: 'silent' });
    await expect(app.workflows.retryFailed('some-id')).rejects.toThrow(
      new ConfigError("app.workflows is not available with protocol 'celery': Celery's canvas keeps no record of a workflow's members to retry"),
    );
    await app.close();
  });

  it('keeps signatures plain JSON: set() options, links and nesting survive a JSON round trip', () => {
    const app = new Lovage({ name: 'c', broker: 'memory://canvas-json', logLevel: 'silent' });
    const add = app.task('c.add', (a: number, b: number) => a + b);
    const sig = add.s(1).set({ countdown: '5s', eta: new Date(1_000), expires: '1m', queue: 'q', priority: 3 }).link(add.si(2, 2)).linkError(add.s(0));
    const json = group([chain(sig, add.s(4))]).toJSON();
    expect(JSON.parse(JSON.stringify(json))).toEqual(json);
    expect(sig.toJSON()).toMatchObject({
      task: 'c.add',
      args: [1],
      immutable: false,
      options: { countdown: '5s', eta: 1_000, expires: '1m', queue: 'q', priority: 3 },
      link: [{ task: 'c.add', args: [2, 2], immutable: true }],
      linkError: [{ task: 'c.add', args: [0] }],
    });
    expect(() => add.s(() => 1)).toThrow(/args\[0\]/);
  });
});
