import { describe, expect, it } from 'vitest';
import { ConfigError } from '../errors.js';
import { optionsFromEnv, resolveConfig } from './config.js';

describe('configuration', () => {
  it('applies defaults: memory broker, results kept a day, 30s leases, 5 deliveries', () => {
    const c = resolveConfig({});
    expect(c).toMatchObject({ broker: 'memory://', backend: 'memory://', resultExpiresMs: 86_400_000, visibilityTimeoutMs: 30_000, maxDeliveries: 5, defaultQueue: 'default' });
  });
  it('reads LOVAGE_* variables, explicit options winning over the environment', () => {
    const env = { LOVAGE_BROKER_URL: 'redis://h:6379/0', LOVAGE_RESULT_BACKEND: 'redis://h:6379/1', LOVAGE_TASK_IGNORE_RESULT: 'true', LOVAGE_DEFAULT_QUEUE: 'q' };
    const c = resolveConfig(optionsFromEnv('LOVAGE', { defaultQueue: 'mine' }, env));
    expect(c).toMatchObject({ broker: 'redis://h:6379/0', backend: 'redis://h:6379/1', taskIgnoreResult: true, defaultQueue: 'mine' });
  });
  it('fails with a ConfigError naming the field and the value', () => {
    expect(() => resolveConfig({ broker: 'kafka://x' })).toThrow(ConfigError);
    expect(() => resolveConfig({ broker: 'kafka://x' })).toThrow(/broker: .*"kafka:\/\/x"/);
    expect(() => resolveConfig(optionsFromEnv('APP', {}, { APP_RESULT_EXPIRES: 'soon' }))).toThrow(/resultExpires: .*"soon"/);
  });
  it("bounds the event stream at 256 MiB unless eventsMaxBytes (LOVAGE_EVENTS_MAX_BYTES) says otherwise, in bytes or with a unit", () => {
    expect(resolveConfig({}).eventsMaxBytes).toBe(256 * 1_024 ** 2);
    expect(resolveConfig(optionsFromEnv('LOVAGE', {}, { LOVAGE_EVENTS_MAX_BYTES: '1.5gb' })).eventsMaxBytes).toBe(1.5 * 1_024 ** 3);
    expect(resolveConfig(optionsFromEnv('LOVAGE', {}, { LOVAGE_EVENTS_MAX_BYTES: '100000' })).eventsMaxBytes).toBe(100_000);
    expect(resolveConfig({ eventsMaxBytes: '512KB' }).eventsMaxBytes).toBe(524_288);
    expect(() => resolveConfig({ eventsMaxBytes: 'lots' as never })).toThrow(/eventsMaxBytes: .*'256mb'.*"lots"/);
    expect(() => resolveConfig({ eventsMaxBytes: 1_000 })).toThrow(/eventsMaxBytes: must be at least 64kb/);
  });
  it('takes amqp:// and amqps:// brokers beside a redis:// or memory:// backend, and names `backend` when it is missing', () => {
    expect(resolveConfig({ broker: 'amqp://guest:guest@rabbit:5672', backend: 'redis://h:6379/0' })).toMatchObject({ broker: 'amqp://guest:guest@rabbit:5672', backend: 'redis://h:6379/0' });
    expect(resolveConfig({ broker: 'amqps://rabbit', backend: 'memory://' })).toMatchObject({ backend: 'memory://' });
    expect(() => resolveConfig({ broker: 'amqp://rabbit' })).toThrow(/^backend: an amqp:\/\/ broker keeps results, revocations, rate limits.*set `backend`/);
    expect(() => resolveConfig({ broker: 'amqp://rabbit', backend: 'amqp://rabbit' })).toThrow(/^backend: must start with memory:\/\/, redis:\/\//);
  });
  it("protocol 'celery' (also LOVAGE_PROTOCOL=celery): queue 'celery', kombu's 1 h visibility timeout, explicit values still win", () => {
    const env = { LOVAGE_PROTOCOL: 'celery', LOVAGE_BROKER_URL: 'redis://h:6379/0', LOVAGE_CELERY_KEY_PREFIX: '42' };
    expect(resolveConfig(optionsFromEnv('LOVAGE', {}, env))).toMatchObject({
      protocol: 'celery',
      celeryKeyPrefix: '42',
      defaultQueue: 'celery',
      visibilityTimeoutMs: 3_600_000,
    });
    expect(resolveConfig({ protocol: 'celery', broker: 'redis://h', defaultQueue: 'q', visibilityTimeout: '2m' })).toMatchObject({ defaultQueue: 'q', visibilityTimeoutMs: 120_000 });
    expect(resolveConfig({})).toMatchObject({ protocol: 'lovage', celeryKeyPrefix: '' });
  });
  it("protocol 'celery' refuses brokers and backends kombu's layout cannot live on, naming the option", () => {
    expect(() => resolveConfig({ protocol: 'celery' })).toThrow(/^broker: protocol 'celery' .*"memory:\/\/".*set `broker`/);
    expect(() => resolveConfig({ protocol: 'celery', broker: 'redis+cluster://a:1,b:2' })).toThrow(/^broker: protocol 'celery' .*redis\+cluster/);
    expect(() => resolveConfig({ protocol: 'celery', broker: 'redis://h', backend: 'memory://' })).toThrow(/^backend: protocol 'celery'/);
    expect(() => resolveConfig({ protocol: 'celery', broker: 'redis+sentinel://s:26379/main/0' })).not.toThrow();
    expect(() => resolveConfig({ protocol: 'amqp' as never })).toThrow(/^protocol: .*"amqp"/);
  });
});
