// The prerequisite checks that `npm test` runs first (scripts/preflight.mjs).
import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { checkChromium, checkPostgres, checkPythonPeers, checkRedis } from '../../scripts/preflight.mjs';
import { testPostgresUrl, testRedisUrl } from './env.js';

/** A port on which nothing listens: bind an ephemeral port, then release it. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('preflight', () => {
  it('passes when Redis and PostgreSQL answer', async () => {
    expect(await checkRedis(testRedisUrl)).toBeNull();
    expect(await checkPostgres(testPostgresUrl)).toBeNull();
  });

  it('names the missing Redis and says how to start it', async () => {
    const port = await closedPort();
    const message = await checkRedis(`redis://127.0.0.1:${port}`);
    expect(message).toContain(`Redis is not reachable at 127.0.0.1:${port}`);
    expect(message).toContain('redis-server --daemonize yes');
  });

  it('does not mistake another server for PostgreSQL', async () => {
    const message = await checkPostgres(testRedisUrl.replace('redis:', 'postgresql:'));
    expect(message).toContain('PostgreSQL is not reachable');
    expect(message).toContain('pg_ctlcluster');
  });

  it('says how to install a missing Chromium', () => {
    expect(checkChromium('/nonexistent/chromium')).toContain('apt-get install -y chromium');
  });

  it('finds the Python Celery peers under /usr/bin/python3, and says how to install them where they are missing', async () => {
    expect(await checkPythonPeers()).toBeNull();
    expect(await checkPythonPeers('/nonexistent/python3')).toContain('sh scripts/install-peers.sh');
  });
});
