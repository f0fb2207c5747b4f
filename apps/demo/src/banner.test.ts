import { describe, expect, it } from 'vitest';
import { banner } from './banner.js';
import { loadDemoConfig } from './config.js';

describe('banner', () => {
  it('names the embedded defaults and how to switch to Redis and Postgres', () => {
    const text = banner(loadDemoConfig({}), 'http://localhost:5555');
    expect(text).toContain('Dashboard  http://localhost:3000');
    expect(text).toContain('Gateway    http://localhost:5555');
    expect(text).toContain('Broker     memory://');
    expect(text).toMatch(/Database {3}PGlite \(embedded\) at .*\.lovage\/pglite/);
    expect(text).toContain('LOVAGE_BROKER_URL=redis://');
    expect(text).toContain('DATABASE_URL=postgresql://');
    expect(text).toContain('Runs here  worker (async, queue default), worker (threads, queue images), beat, outbox relay');
    expect(text).toContain('Traffic    3 actions/s');
  });

  it('says which pieces run elsewhere and when the load generator is off', () => {
    const text = banner(loadDemoConfig({ LOVAGE_DEMO_RATE: '0' }, ['--no-worker', '--no-beat']), 'http://localhost:5555');
    expect(text).toContain('Runs here  outbox relay');
    expect(text).toContain('Traffic    none (load generator off');
  });

  it('names the watched Celery clusters without their passwords', () => {
    const text = banner(loadDemoConfig({ LOVAGE_CELERY_BROKER_URL: 'shop=redis://:pw@celery-redis:6379/1' }), 'http://localhost:5555');
    expect(text).toContain('Celery     shop=redis://:***@celery-redis:6379/1   (Python clusters watched)');
  });

  it('shows the configured Redis and Postgres without their passwords and drops the switch hints', () => {
    const text = banner(
      loadDemoConfig({ LOVAGE_BROKER_URL: 'redis://:pw@redis:6379/0', DATABASE_URL: 'postgresql://u:pw@db/lovage' }),
      'http://localhost:5555',
    );
    expect(text).toContain('Broker     redis://:***@redis:6379/0');
    expect(text).toContain('Database   PostgreSQL postgresql://u:***@db/lovage');
    expect(text).not.toContain('Celery');
    expect(text).not.toContain('pw@');
    expect(text).not.toContain('Use Redis');
  });
});

describe('banner login line', () => {
  const config = loadDemoConfig({});

  it('prints the generated first-admin password once it was generated', () => {
    const text = banner(config, 'http://localhost:5555', {
      email: 'admin@lovage.local',
      password: { source: 'generated', value: 'Xy7-generated-pass' },
    });
    expect(text).toContain('Login      admin@lovage.local / Xy7-generated-pass   (generated now, shown only this once)');
  });

  it('points at LOVAGE_ADMIN_PASSWORD without printing it', () => {
    const text = banner(config, 'http://localhost:5555', { email: 'ops@example.com', password: { source: 'environment' } });
    expect(text).toContain('Login      ops@example.com   (password from LOVAGE_ADMIN_PASSWORD)');
  });

  it('prints no password on later starts', () => {
    const text = banner(config, 'http://localhost:5555', { email: 'admin@lovage.local', password: { source: 'existing' } });
    expect(text).toContain('Login      with an existing user');
    expect(text).not.toContain(' / ');
  });
});

describe('loadDemoConfig', () => {
  it('rejects a port that is not a number, naming the variable', () => {
    expect(() => loadDemoConfig({ PORT_GATEWAY: 'http' })).toThrow(/^PORT_GATEWAY="http" is invalid/);
  });

  it('takes the rate from --rate over LOVAGE_DEMO_RATE, and names the source of a bad one', () => {
    expect(loadDemoConfig({ LOVAGE_DEMO_RATE: '7' }).rate).toBe(7);
    expect(loadDemoConfig({ LOVAGE_DEMO_RATE: '7' }, ['--rate', '0.5']).rate).toBe(0.5);
    expect(() => loadDemoConfig({}, ['--rate=fast'])).toThrow(/^--rate="fast" is invalid: expected actions per second/);
    expect(() => loadDemoConfig({ LOVAGE_DEMO_RATE: '-1' })).toThrow(/^LOVAGE_DEMO_RATE="-1" is invalid/);
  });

  it('rejects a DATABASE_URL or LOVAGE_BROKER_URL of the wrong kind, without printing its password', () => {
    expect(() => loadDemoConfig({ DATABASE_URL: 'mysql://root:secret@db/app' })).toThrow(
      /^DATABASE_URL="mysql:\/\/root:\*\*\*@db\/app" is not a PostgreSQL URL: expected postgresql:\/\//,
    );
    expect(() => loadDemoConfig({ LOVAGE_BROKER_URL: 'amqp://guest@rabbit//' })).toThrow(/^LOVAGE_BROKER_URL="amqp:.*" is not a broker URL/);
  });

  it('rejects an unknown flag with the usage', () => {
    expect(() => loadDemoConfig({}, ['--fast'])).toThrow(/Unknown option '--fast'[\s\S]*usage: npm start/);
  });
});
