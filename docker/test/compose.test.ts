import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  checkBuildFiles,
  checkCopySources,
  checkEntryPoints,
  checkHealthchecks,
  checkNonRootImages,
  checkRequiredEnvironment,
  checkResourceLimits,
  checkSecretsFromEnvironment,
  dockerHealthcheck,
  checkVariablesDocumented,
  loadCompose,
  parseCompose,
  type ComposeDocument,
} from './compose-checks.js';

const dockerDir = new URL('..', import.meta.url).pathname;
const compose = loadCompose(join(dockerDir, 'compose.yaml'));
const envExample = readFileSync(join(dockerDir, '.env.example'), 'utf8');

/**
 * Entry points that compose already names but that another part of the project has not written yet.
 * Only a missing file is forgiven; everything else about these paths is still checked.
 * Remove an entry as soon as its file exists.
 */
const writtenLater: string[] = [];

/** What each service's code reads from the environment and cannot start without. */
const requiredEnvironment = {
  migrate: ['DATABASE_URL'],
  gateway: ['LOVAGE_BROKER_URL', 'DATABASE_URL'],
  dashboard: ['LOVAGE_GATEWAY_URL'],
  worker: ['LOVAGE_BROKER_URL', 'DATABASE_URL'],
  'worker-images': ['LOVAGE_BROKER_URL'],
  beat: ['LOVAGE_BROKER_URL'],
};

/** Services with no healthcheck, and why. */
const withoutHealthcheck = {
  migrate: 'a one-shot job: compose waits for it to exit 0',
  beat: 'it answers no pings and serves no port; a standby takes over through the Redis lock',
};

function variant(change: (document: ComposeDocument) => void): ComposeDocument {
  const copy = structuredClone(compose.document);
  change(copy);
  return copy;
}

describe('docker/compose.yaml', () => {
  it('runs redis, postgres, migrate, gateway, dashboard, the workers and beat', () => {
    expect(Object.keys(compose.document.services).sort()).toEqual(
      ['beat', 'dashboard', 'gateway', 'migrate', 'postgres', 'redis', 'worker', 'worker-images'].sort(),
    );
  });

  it('points every built service at an existing context and Dockerfile', () => {
    expect(checkBuildFiles(compose.document, compose.dir)).toEqual([]);
  });

  it('copies into the images only files that exist in the build context', () => {
    expect(checkCopySources(compose.document, compose.dir)).toEqual([]);
  });

  it('runs only scripts that exist and reach the image (apart from files still being written)', () => {
    const errors = checkEntryPoints(compose.document, compose.dir).filter(
      (error) => !writtenLater.some((file) => error.includes(`runs ${file}, which does not exist`)),
    );
    expect(errors).toEqual([]);
  });

  it('lists every interpolated variable in .env.example', () => {
    expect(checkVariablesDocumented(compose.text, envExample)).toEqual([]);
  });

  it('gives each service the environment its code needs', () => {
    expect(checkRequiredEnvironment(compose.document, requiredEnvironment)).toEqual([]);
  });

  it('keeps Redis durable with the append-only file', () => {
    expect(compose.document.services.redis?.command).toEqual(expect.arrayContaining(['--appendonly', 'yes']));
  });

  it('starts the gateway only after the migration completed successfully', () => {
    expect(compose.document.services.gateway?.depends_on).toMatchObject({
      migrate: { condition: 'service_completed_successfully' },
    });
  });

  it('gives every long-running service a healthcheck or a documented reason for none, and resource limits', () => {
    expect(checkHealthchecks(compose.document, compose.dir, withoutHealthcheck)).toEqual([]);
    expect(checkResourceLimits(compose.document)).toEqual([]);
    for (const name of ['redis', 'postgres', 'gateway', 'dashboard']) {
      expect(compose.document.services[name]?.healthcheck?.test, `${name} healthcheck`).toBeTruthy();
    }
  });

  it('checks a worker container by pinging its own worker with a command the CLI has', () => {
    const check = dockerHealthcheck(join(dockerDir, 'worker.Dockerfile')) ?? '';
    expect(check).toContain('lovage.mjs control ping --json');
    expect(check).toContain('grep -qF "@$(hostname)\\""');
    const pingHelp = /^## `lovage control ping`\n\n```text\n([\s\S]*?)```/m.exec(
      readFileSync(join(dockerDir, '../docs/cli.md'), 'utf8'),
    )?.[1];
    expect(pingHelp).toContain('--json');
    expect(pingHelp).toContain('-t, --timeout');
  });

  it('runs every image it builds as a non-root user', () => {
    expect(checkNonRootImages(compose.document, compose.dir)).toEqual([]);
  });

  it('reads every password and token from the environment, none written in the file', () => {
    expect(checkSecretsFromEnvironment(compose.document)).toEqual([]);
    expect(compose.text).toContain('POSTGRES_PASSWORD:?');
  });

  it('applies migrations in a one-shot service that never restarts', () => {
    const migrate = compose.document.services.migrate;
    expect(migrate?.command).toEqual(['node', 'scripts/db.mjs', 'migrate']);
    expect(migrate?.restart).toBe('no');
    expect(migrate?.depends_on).toMatchObject({ postgres: { condition: 'service_healthy' } });
  });
});

describe('compose checks on broken documents', () => {
  it('reports a service whose Dockerfile is missing, naming the service and the path', () => {
    const broken = variant((document) => {
      document.services.gateway = {
        ...document.services.gateway,
        build: { context: '..', dockerfile: 'docker/missing.Dockerfile' },
      };
    });
    const errors = checkBuildFiles(broken, compose.dir);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('service "gateway"');
    expect(errors[0]).toContain(join('docker', 'missing.Dockerfile'));
  });

  it('reports a build context that does not exist', () => {
    const broken = variant((document) => {
      document.services.worker = { ...document.services.worker, build: { context: '../no-such-dir' } };
    });
    expect(checkBuildFiles(broken, compose.dir)).toEqual([
      expect.stringMatching(/service "worker": build context .*no-such-dir does not exist/),
    ]);
  });

  it('reports a Dockerfile COPY of a file missing from the context', () => {
    const document = parseCompose(
      `services:\n  app:\n    build: { context: ., dockerfile: test/fixtures/missing-copy.Dockerfile }\n`,
    );
    const errors = checkCopySources(document, dockerDir);
    expect(errors).toEqual([expect.stringContaining('copies no-such-file.txt')]);
    expect(errors[0]).toContain('service "app"');
  });

  it('reports a command that runs a script missing from the repository', () => {
    const broken = variant((document) => {
      document.services.migrate = {
        ...document.services.migrate,
        command: ['node', 'scripts/no-such-script.mjs'],
      };
    });
    const errors = checkEntryPoints(broken, compose.dir).filter((error) => error.includes('"migrate"'));
    expect(errors).toEqual([
      expect.stringMatching(/service "migrate": runs scripts\/no-such-script\.mjs, which does not exist/),
    ]);
  });

  it('reports a command whose script no COPY puts in the image', () => {
    const broken = variant((document) => {
      document.services.gateway = { ...document.services.gateway, command: ['node', 'bench/src/run.ts'] };
    });
    const errors = checkEntryPoints(broken, compose.dir).filter((error) => error.includes('"gateway"'));
    expect(errors).toEqual([
      expect.stringMatching(/service "gateway": runs bench\/src\/run\.ts, but no COPY/),
    ]);
  });

  it('trusts scripts that a build stage produces', () => {
    const errors = checkEntryPoints(compose.document, compose.dir).filter((error) =>
      error.includes('dashboard'),
    );
    expect(errors).toEqual([]);
  });

  it('reports an interpolated variable missing from .env.example, and ignores escaped dollars', () => {
    const text =
      'services:\n  a:\n    environment:\n      X: ${UNDOCUMENTED_VAR:-1}\n      Y: $${NOT_A_VARIABLE}\n';
    expect(checkVariablesDocumented(text, 'OTHER=1\n')).toEqual([
      'compose.yaml reads ${UNDOCUMENTED_VAR}, which .env.example does not list',
    ]);
  });

  it('reports a secret written into the file, a root image, a missing healthcheck and limits', () => {
    const broken = variant((document) => {
      const gateway = document.services.gateway!;
      gateway.environment = {
        LOVAGE_ADMIN_PASSWORD: 'hunter2',
        DATABASE_URL: 'postgresql://lovage:pw@postgres/lovage',
      };
      document.services.beat = { ...document.services.beat, healthcheck: undefined };
      document.services.worker = { ...document.services.worker, deploy: undefined };
      document.services.root = {
        build: { context: '.', dockerfile: 'test/fixtures/missing-copy.Dockerfile' },
      };
    });
    expect(checkSecretsFromEnvironment(broken)).toEqual([
      'service "gateway": LOVAGE_ADMIN_PASSWORD is written in compose.yaml; read it from the environment',
      'service "gateway": DATABASE_URL has a password written in compose.yaml',
    ]);
    expect(checkNonRootImages(broken, compose.dir)).toEqual([
      expect.stringMatching(/^service "root": .* runs as root \(no USER\)$/),
    ]);
    expect(checkHealthchecks(broken, compose.dir, withoutHealthcheck)).toEqual(
      expect.arrayContaining([
        'service "beat": expected healthcheck.disable (it answers no pings and serves no port; a standby takes over through the Redis lock)',
      ]),
    );
    expect(checkResourceLimits(broken)).toEqual(
      expect.arrayContaining(['service "worker": no CPU limit', 'service "worker": no memory limit']),
    );
  });

  it('reports a service that lacks a required environment variable', () => {
    const broken = variant((document) => {
      const gateway = document.services.gateway;
      if (gateway && gateway.environment && !Array.isArray(gateway.environment))
        delete gateway.environment.DATABASE_URL;
    });
    expect(checkRequiredEnvironment(broken, requiredEnvironment)).toEqual([
      'service "gateway": environment does not set DATABASE_URL',
    ]);
  });
});
