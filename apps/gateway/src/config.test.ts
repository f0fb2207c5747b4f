import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, loadSecurityConfig } from './config.js';

describe('loadConfig', () => {
  it('defaults to port 5555, embedded PGlite under .lovage and no broker URL', () => {
    expect(loadConfig({})).toEqual({
      port: 5555,
      host: '0.0.0.0',
      databaseUrl: undefined,
      dataDir: '.lovage',
      brokerUrl: undefined,
      celery: [],
      logLevel: 'info',
      liveRedisUrl: undefined,
      name: 'gateway',
      security: {
        adminEmail: 'admin@lovage.local',
        adminPassword: undefined,
        dashboardUrl: 'http://localhost:3000',
        metricsToken: undefined,
        trustProxy: false,
        sessionTtlMs: 12 * 3_600_000,
      },
    });
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', PORT: '' }).databaseUrl).toBeUndefined();
  });

  it('names the variable and the value when one is invalid', () => {
    expect(() => loadConfig({ PORT: 'abc' })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: 'abc' })).toThrow(/^PORT="abc" is invalid/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL="mysql:\/\/x" is invalid: must start with postgres/);
  });

  it('reads the Celery clusters to watch, named or by host:port/db, with the kombu key prefix', () => {
    const config = loadConfig({
      LOVAGE_CELERY_BROKER_URL: 'billing=redis://:s3cret@10.0.0.5:6380/2, redis://localhost',
      LOVAGE_CELERY_KEY_PREFIX: 'proj:',
    });
    expect(config.celery).toEqual([
      { name: 'billing', url: 'redis://:s3cret@10.0.0.5:6380/2', transport: 'redis', keyPrefix: 'proj:', db: 2, resultBackend: 'redis://:s3cret@10.0.0.5:6380/2', beatPrefix: 'lovage:' },
      { name: 'localhost:6379/0', url: 'redis://localhost', transport: 'redis', keyPrefix: 'proj:', db: 0, resultBackend: 'redis://localhost', beatPrefix: 'lovage:' },
    ]);
    // Where the Lovage beat in Celery mode beside them keeps its schedules (Lovage's default prefix unless told).
    expect(loadConfig({ LOVAGE_CELERY_BROKER_URL: 'redis://h/0', LOVAGE_CELERY_BEAT_PREFIX: 'shop:' }).celery[0]?.beatPrefix).toBe('shop:');
  });

  it('reads where each cluster keeps its results, by name or by position, the broker otherwise', () => {
    const clusters = (backends: string) =>
      loadConfig({ LOVAGE_CELERY_BROKER_URL: 'a=redis://h1/0,b=redis://h2/0', LOVAGE_CELERY_RESULT_BACKEND: backends }).celery.map((c) => c.resultBackend);
    expect(clusters('b=redis://results/3')).toEqual(['redis://h1/0', 'redis://results/3']);
    expect(clusters('redis://r1/1, redis://r2/2')).toEqual(['redis://r1/1', 'redis://r2/2']);
    expect(() => clusters('c=redis://:pw@r/1')).toThrow(/^LOVAGE_CELERY_RESULT_BACKEND="c=redis:\/\/<hidden>@r\/1" is invalid: .*no cluster is named "c"/);
    expect(() => clusters('redis://r/1,redis://r/2,redis://r/3')).toThrow(/no cluster #3/);
    expect(() => clusters('a=db+postgresql://x')).toThrow(/LOVAGE_CELERY_RESULT_BACKEND.*only redis:\/\//);
  });

  it('watches a Celery cluster on RabbitMQ beside its Redis result backend, and names the missing backend', () => {
    const config = loadConfig({ LOVAGE_CELERY_BROKER_URL: 'amqp://guest:pw@rabbit:5672/shop', LOVAGE_CELERY_RESULT_BACKEND: 'redis://results/1' });
    expect(config.celery).toEqual([
      { name: 'rabbit:5672/shop', url: 'amqp://guest:pw@rabbit:5672/shop', transport: 'amqp', keyPrefix: '', db: 0, resultBackend: 'redis://results/1', beatPrefix: 'lovage:' },
    ]);
    expect(loadConfig({ LOVAGE_CELERY_BROKER_URL: 'amqps://rabbit', LOVAGE_CELERY_RESULT_BACKEND: 'redis://r' }).celery[0]!.name).toBe('rabbit:5671//');
    expect(() => loadConfig({ LOVAGE_CELERY_BROKER_URL: 'amqp://guest:pw@rabbit//' })).toThrow(
      /^LOVAGE_CELERY_RESULT_BACKEND: the Celery cluster "rabbit:5672\/\/" is on RabbitMQ; name its Redis result backend/,
    );
  });

  it('refuses a Celery broker it cannot watch, naming the variable and hiding the password', () => {
    expect(() => loadConfig({ LOVAGE_CELERY_BROKER_URL: 'sqs://key:pw@queue//' })).toThrow(
      /^LOVAGE_CELERY_BROKER_URL="sqs:\/\/<hidden>@queue\/\/" is invalid: .*only redis:\/\/, rediss:\/\/, amqp:\/\/ and amqps:\/\//,
    );
    expect(() => loadConfig({ LOVAGE_CELERY_BROKER_URL: 'redis://h/x' })).toThrow(/LOVAGE_CELERY_BROKER_URL.*database must be a number/);
    expect(() => loadConfig({ LOVAGE_CELERY_BROKER_URL: 'a=redis://h,a=redis://g' })).toThrow(/two clusters are named "a"/);
    expect(() => loadConfig({ LOVAGE_CELERY_BROKER_URL: ' , ' })).toThrow(/LOVAGE_CELERY_BROKER_URL.*names no broker/);
    // `lovage` is the filters' name for Lovage's own tasks and workers.
    expect(() => loadConfig({ LOVAGE_CELERY_BROKER_URL: 'Lovage=redis://h' })).toThrow(/LOVAGE_CELERY_BROKER_URL.*"lovage" stands for Lovage's own tasks/);
  });

  it('reads the security settings and never echoes a secret in an error', () => {
    const security = loadSecurityConfig({
      LOVAGE_ADMIN_EMAIL: ' Ops@Example.com ',
      LOVAGE_ADMIN_PASSWORD: 'correct horse battery',
      LOVAGE_TRUST_PROXY: 'true',
      LOVAGE_SESSION_TTL_HOURS: '2',
    });
    expect(security).toMatchObject({ adminEmail: 'ops@example.com', trustProxy: true, sessionTtlMs: 7_200_000 });
    expect(() => loadSecurityConfig({ LOVAGE_ADMIN_PASSWORD: 'short' })).toThrow(
      /^LOVAGE_ADMIN_PASSWORD=<hidden> is invalid: must be at least 8 characters/,
    );
    expect(() => loadSecurityConfig({ LOVAGE_DASHBOARD_URL: 'ftp://x' })).toThrow(/^LOVAGE_DASHBOARD_URL="ftp:\/\/x" is invalid/);
    expect(() => loadSecurityConfig({ LOVAGE_TRUST_PROXY: 'maybe' })).toThrow(/LOVAGE_TRUST_PROXY="maybe" is invalid: expected true or false/);
  });
});
