import { describe, expect, it } from 'vitest';
import { Lovage } from '../../app/lovage.js';
import { chain, chord, group } from '../../canvas/signature.js';
import { CeleryCanvas } from './celery-canvas.js';

describe('CeleryCanvas.toSignature', () => {
  const app = new Lovage({ name: 'c', broker: 'memory://celery-canvas-json', logLevel: 'silent' });
  const add = app.task('c.add', (a: number, b: number) => a + b);
  const canvas = new CeleryCanvas({
    dialect: 'kombu-5.2',
    logger: app.logger,
    resultExpiresMs: 60_000,
    results: app,
    defaultQueue: () => 'celery',
    publish: () => Promise.resolve(),
  });

  it("writes Celery 5.2.6's dict form: options in Celery's names, dates as Python datetimes, links as signatures", () => {
    const sig = add
      .s(1, new Date('2026-01-02T03:04:05.000Z'))
      .set({ countdown: '5s', expires: '1m', queue: 'q', priority: 3, taskId: 't1' })
      .link(add.si(2, 2))
      .linkError(add.s(0));
    expect(canvas.toSignature(sig.toJSON())).toEqual({
      task: 'c.add',
      args: [1, '2026-01-02T03:04:05Z'],
      kwargs: {},
      options: {
        task_id: 't1',
        queue: 'q',
        priority: 3,
        countdown: 5,
        expires: 60,
        link: [expect.objectContaining({ task: 'c.add', args: [2, 2], immutable: true, subtask_type: null })],
        link_error: [expect.objectContaining({ task: 'c.add', args: [0], immutable: false })],
      },
      subtask_type: null,
      immutable: false,
    });
  });

  it('writes chains, groups (id in options.task_id) and chords (header group, body) as Celery does', () => {
    const json = chain(add.s(1, 1), chord(group([add.s(2)]), add.s(3))).toJSON();
    const sig = canvas.toSignature(json);
    expect(sig).toMatchObject({ task: 'celery.chain', subtask_type: 'chain', kwargs: { tasks: [{ task: 'c.add' }, { task: 'celery.chord', subtask_type: 'chord' }] } });
    const chordSig = (sig.kwargs.tasks as { kwargs: { header: unknown; body: unknown } }[])[1]!;
    expect(chordSig.kwargs.header).toMatchObject({ task: 'celery.group', subtask_type: 'group', kwargs: { tasks: [{ task: 'c.add', args: [2] }] } });
    expect(chordSig.kwargs.body).toMatchObject({ task: 'c.add', args: [3] });
  });
});
