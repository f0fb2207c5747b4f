// A gateway listening beyond loopback warns, at start and on GET
// /security/warnings for the Settings page, while /metrics is open or the
// generated admin password is unchanged.
import { Writable } from 'node:stream';
import { postgresTest } from '@lovage/test-support/postgres';
import pino from 'pino';
import { describe, expect } from 'vitest';
import { Client, startGateway } from './support.js';

function logLines(): { logger: pino.Logger; messages: () => string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { logger: pino({ level: 'warn' }, sink), messages: () => lines.map((line) => (JSON.parse(line) as { msg: string }).msg) };
}

describe('exposure warnings', () => {
  postgresTest('names an open /metrics and an unchanged generated password on 0.0.0.0, until both are fixed', async ({ postgres }) => {
    const log = logLines();
    const gateway = await startGateway(postgres.url, { host: '0.0.0.0', logger: log.logger, security: { adminPassword: undefined, metricsToken: undefined } });
    try {
      expect(log.messages().filter((msg) => /LOVAGE_METRICS_TOKEN|password generated/.test(msg))).toHaveLength(2);
      const admin = new Client(gateway.url);
      expect((await admin.login(gateway.firstRun!.email, gateway.firstRun!.password)).status).toBe(200);
      const codes = async () => ((await (await admin.request('GET', '/api/v1/security/warnings')).json()) as { warnings: { code: string }[] }).warnings.map((w) => w.code);
      expect(await codes()).toEqual(['METRICS_OPEN', 'GENERATED_ADMIN_PASSWORD']);
      const me = (await (await admin.request('GET', '/api/v1/auth/me')).json()) as { user: { id: string } };
      expect((await admin.request('PATCH', `/api/v1/users/${me.user.id}`, { body: { password: 'a-new-password-42' } })).status).toBe(200);
      expect(await codes()).toEqual(['METRICS_OPEN']);
    } finally {
      await gateway.close();
    }
  });

  postgresTest('says nothing on loopback, or with a metrics token and a chosen password', async ({ postgres }) => {
    const guarded = logLines();
    const exposed = await startGateway(postgres.url, { host: '0.0.0.0', logger: guarded.logger, security: { metricsToken: 'metrics-secret-0123456789' } });
    // From here on the admin's password counts as the generated one: loopback must not mind.
    await exposed.prisma.user.updateMany({ data: { passwordGenerated: true } });
    await exposed.close();
    const loopback = logLines();
    const local = await startGateway(postgres.url, { host: '127.0.0.1', logger: loopback.logger, security: { metricsToken: undefined } });
    await local.close();
    expect([...loopback.messages(), ...guarded.messages()].filter((msg) => /LOVAGE_METRICS_TOKEN|password generated/.test(msg))).toEqual([]);
  });
});
