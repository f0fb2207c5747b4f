// Checks that what `npm test` needs is present before any test starts, so a
// missing service is reported as one clear sentence with the fix, not as a
// stack trace from deep inside a test.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import net from 'node:net';

function endpoint(urlText, defaultPort) {
  const url = new URL(urlText);
  return { host: url.hostname || '127.0.0.1', port: Number(url.port || defaultPort) };
}

/**
 * Opens a TCP connection, writes `probe` and resolves with the first bytes the server answers.
 * Every check is asynchronous: a synchronous one would block the event loop while these timers
 * run, and on a loaded machine they would fire before a prompt answer is read.
 */
function talk({ host, port }, probe, timeoutMs = 5000) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const timer = setTimeout(() => socket.destroy(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    socket.once('connect', () => socket.write(probe));
    socket.once('data', (data) => {
      resolve(data);
      socket.end();
    });
    socket.once('error', reject);
    socket.once('close', () => clearTimeout(timer));
  });
}

export async function checkRedis(urlText) {
  const target = endpoint(urlText, 6379);
  try {
    const reply = await talk(target, 'PING\r\n');
    if (!reply.toString().startsWith('+PONG')) throw new Error(`answered ${JSON.stringify(reply.toString().trim())}`);
    return null;
  } catch (error) {
    return (
      `Redis is not reachable at ${target.host}:${target.port} (${error.message}).\n` +
      '  Start it:   redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no\n' +
      '  Install it: apt-get install -y redis-server   (or point TEST_REDIS_URL at a running Redis)'
    );
  }
}

export async function checkPostgres(urlText) {
  const target = endpoint(urlText, 5432);
  try {
    // An SSLRequest packet: any PostgreSQL answers it with a single byte ('S' or 'N').
    const reply = await talk(target, Buffer.from([0, 0, 0, 8, 4, 210, 22, 47]));
    if (!['S', 'N'].includes(reply.toString('latin1', 0, 1))) throw new Error('the server is not PostgreSQL');
    return null;
  } catch (error) {
    return (
      `PostgreSQL is not reachable at ${target.host}:${target.port} (${error.message}).\n` +
      "  Start it:   pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start\n" +
      '  Install it: apt-get install -y postgresql   (or point TEST_DATABASE_URL at a running server)'
    );
  }
}

export function checkChromium(path) {
  if (existsSync(path)) return null;
  return (
    `Chromium is missing at ${path}; the end-to-end tests drive it with Playwright.\n` +
    '  Install it: apt-get install -y chromium   (never `npx playwright install`: it cannot download here)'
  );
}

/** The interoperability tests run real Python Celery workers under /usr/bin/python3. */
export async function checkPythonPeers(python = '/usr/bin/python3') {
  const status = await new Promise((resolve) => {
    const probe = spawn(python, ['-c', 'import celery, kombu, redis, django, psycopg2, amqp'], { stdio: 'ignore' });
    probe.once('error', () => resolve(null));
    probe.once('exit', (code) => resolve(code));
  });
  if (status === 0) return null;
  return (
    `${python} cannot import Python Celery and its peers; the Celery interoperability tests run them.\n` +
    '  Install them: sh scripts/install-peers.sh   (Debian packages python3-celery python3-redis python3-django python3-psycopg2 python3-amqp)'
  );
}
