import { expect, it } from 'vitest';
import { KombuLayout } from './kombu-layout.js';

const SEP = '\x06\x16';

it('names priority sub-queues as kombu 5.2 does: queue, queue\\x06\\x163, 6, 9', () => {
  const layout = new KombuLayout();
  expect(layout.queueKeys('celery')).toEqual(['celery', `celery${SEP}3`, `celery${SEP}6`, `celery${SEP}9`]);
  // Seen on Redis: priority 5 from a Python producer went to celery\x06\x163.
  expect([0, 1, 2, 3, 5, 6, 8, 9, 12, -1].map((p) => layout.priorityStep(p))).toEqual([
    0, 0, 0, 3, 3, 6, 6, 9, 9, 0,
  ]);
  expect(layout.queueKey('celery', 5)).toBe(`celery${SEP}3`);
});

it('lists BRPOP keys for each step, for each queue, and maps a key back to its queue', () => {
  const layout = new KombuLayout({ globalKeyPrefix: 'pfx:' });
  expect(layout.consumeKeys(['a', 'b'])).toEqual([
    'pfx:a',
    'pfx:b',
    `pfx:a${SEP}3`,
    `pfx:b${SEP}3`,
    `pfx:a${SEP}6`,
    `pfx:b${SEP}6`,
    `pfx:a${SEP}9`,
    `pfx:b${SEP}9`,
  ]);
  expect(layout.queueOfKey(`pfx:a${SEP}6`)).toBe('a');
  expect(layout.queueOfKey('pfx:b')).toBe('b');
});

it('prefixes every broker key and channel with global_keyprefix, and no result key', () => {
  const layout = new KombuLayout({ globalKeyPrefix: 'pfx:', db: 3 });
  expect(layout.bindingKey('celery')).toBe('pfx:_kombu.binding.celery');
  expect(layout.queueBinding('celery')).toEqual({
    key: 'pfx:_kombu.binding.celery',
    member: `celery${SEP}${SEP}celery`,
  });
  expect([layout.unackedKey, layout.unackedIndexKey, layout.unackedMutexKey]).toEqual([
    'pfx:unacked',
    'pfx:unacked_index',
    'pfx:unacked_mutex',
  ]);
  expect(layout.eventChannel('task.multi')).toBe('pfx:/3.celeryev/task.multi');
  expect(layout.eventPattern).toBe('pfx:/3.celeryev/*');
  expect(layout.pidboxChannel).toBe('pfx:/3.celery.pidbox');
  expect(layout.resultKey('t1')).toBe('celery-task-meta-t1');
});

it('names pidbox bindings and reply queues as kombu 5.2.4 does', () => {
  const layout = new KombuLayout();
  // Seen on Redis: SADD _kombu.binding.reply.celery.pidbox "<oid>\x06\x16\x06\x16<oid>.reply.celery.pidbox", then BRPOP on that queue's lists.
  expect(layout.replyBinding('oid1')).toEqual({
    key: '_kombu.binding.reply.celery.pidbox',
    member: `oid1${SEP}${SEP}oid1.reply.celery.pidbox`,
  });
  expect(layout.queueKeys(layout.replyQueue('oid1'))[0]).toBe('oid1.reply.celery.pidbox');
  expect(layout.pidboxBinding('w1@h')).toEqual({
    key: '_kombu.binding.celery.pidbox',
    member: `${SEP}${SEP}w1@h.celery.pidbox`,
  });
  expect(layout.parseBindingMember(`rk${SEP}pat${SEP}q`)).toEqual({
    routingKey: 'rk',
    pattern: 'pat',
    queue: 'q',
  });
});

it('honours the options kombu and Celery let users change', () => {
  const layout = new KombuLayout({
    fanoutPrefix: false,
    controlNamespace: 'proj',
    eventExchange: 'ev',
    resultKeyPrefix: 'res',
    prioritySteps: [0, 5],
  });
  expect(layout.pidboxChannel).toBe('proj.pidbox');
  expect(layout.replyExchange).toBe('reply.proj.pidbox');
  expect(layout.eventChannel('worker.heartbeat')).toBe('ev/worker.heartbeat');
  expect(layout.resultKey('t')).toBe('res_celery-task-meta-t');
  expect(new KombuLayout({ resultKeyPrefix: 'res:' }).groupResultKey('g', '.j')).toBe(
    'res:celery-taskset-meta-g.j',
  );
  expect(layout.queueKeys('q')).toEqual(['q', `q${SEP}5`]);
  expect(new KombuLayout({ fanoutPrefix: '/custom.' }).eventPattern).toBe('/custom.celeryev/*');
});
