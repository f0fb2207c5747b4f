// A RabbitMQ virtual host of its own for one test file, so Celery's fixed
// names (`celeryev`, `celery.pidbox`, the events and pidbox queues) seen by
// one test's Python and Lovage peers never reach another test's. Made and
// removed with rabbitmqctl on the shared node (127.0.0.1:5672, guest/guest).
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface RabbitVhost {
  name: string;
  /** amqp://guest:guest@127.0.0.1:5672/<vhost> */
  url: string;
  drop(): Promise<void>;
}

const host = process.env.TEST_AMQP_HOST ?? '127.0.0.1:5672';

export async function createRabbitVhost(label: string): Promise<RabbitVhost> {
  const name = `lovage-${label}-${randomBytes(4).toString('hex')}`;
  await run('rabbitmqctl', ['add_vhost', name], { timeout: 60_000 });
  await run('rabbitmqctl', ['set_permissions', '-p', name, 'guest', '.*', '.*', '.*'], { timeout: 60_000 });
  return {
    name,
    url: `amqp://guest:guest@${host}/${encodeURIComponent(name)}`,
    async drop() {
      await run('rabbitmqctl', ['delete_vhost', name], { timeout: 60_000 });
    },
  };
}
