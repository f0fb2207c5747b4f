// Every fenced block of README.md and docs/*.md is checked by something, and the
// blocks that are not TypeScript are checked here: shell commands name npm
// scripts, files, compose services, `lovage` commands and flags, and gateway
// routes that exist; YAML parses; shown program output is what the demo prints.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Lovage } from '@lovage/engine';
import { createGateway, DatabaseError, type Gateway } from '@lovage/gateway';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { banner } from '../src/banner.js';
import { defaultDataDir, loadDemoConfig } from '../src/config.js';
import { BrokerUnreachable, describeStartError } from '../src/start-error.js';
import { blocksOf, guideFiles, repoRoot, type Block } from './docs-samples.js';
import { embeddedStartMs } from './slow-starts.js';

const blocks: Block[] = guideFiles().flatMap(blocksOf);
const where = (block: Block): string => `${block.doc}:${block.line}`;

/** How a block is checked, or undefined when nothing checks it (a failure). */
function checkerOf(block: Block): string | undefined {
  if (block.doc === 'docs/cli.md' && block.lang === 'text') return 'cli help (docs-cli-reference.test.ts)';
  if (block.excerptOf) return 'excerpt (docs-samples.test.ts)';
  if (block.lang === 'ts' || block.lang === 'typescript') return 'type-check (docs-samples.test.ts)';
  if (block.lang === 'sh') return 'shell';
  if (block.lang === 'yaml') return 'yaml';
  if (block.outputOf !== undefined && block.outputOf in outputs) return `output ${block.outputOf}`;
  if (block.lang === 'text' && block.code.trimStart().startsWith('lovage ')) return 'cli synopsis';
  if (block.illustration) return 'illustration';
  return undefined;
}

// ---------------------------------------------------------------------------
// Shell: a small tokenizer, enough for the docs' one-line commands.

/** Words of one line, quotes removed; a `#` starting a word ends the line. */
function words(line: string): string[] {
  const out: string[] = [];
  let current = '';
  let quoted = false;
  let quote: string | undefined;
  for (const ch of line) {
    if (quote) {
      if (ch === quote) quote = undefined;
      else current += ch;
      continue;
    }
    if (ch === '"' || ch === "'") {
      quote = ch;
      quoted = true;
    } else if (/\s/.test(ch)) {
      if (current || quoted) out.push(current);
      current = '';
      quoted = false;
    } else if (ch === '#' && current === '' && !quoted) {
      break;
    } else {
      current += ch;
    }
  }
  if (current || quoted) out.push(current);
  return out;
}

/** The commands of a shell block: continuation lines joined, `&&` split. */
function commandsOf(code: string): string[][] {
  const commands: string[][] = [];
  for (const line of code.replace(/\\\n\s*/g, ' ').split('\n')) {
    let command: string[] = [];
    for (const word of words(line)) {
      if (word === '&&') {
        commands.push(command);
        command = [];
      } else command.push(word);
    }
    if (command.length > 0) commands.push(command);
  }
  return commands;
}

const readJson = <T>(file: string): T => JSON.parse(readFileSync(path.join(repoRoot, file), 'utf8')) as T;
const rootPackage = readJson<{ workspaces: string[]; scripts: Record<string, string> }>('package.json');
/** Each workspace's npm scripts, by package name. */
const workspaceScripts = new Map<string, Record<string, string>>();
/** The programs the workspaces install (`bin`): what `npx NAME` may run besides `lovage`. */
const workspaceBins = new Set<string>();
for (const pattern of rootPackage.workspaces) {
  const parent = pattern.endsWith('/*') ? pattern.slice(0, -2) : undefined;
  const dirs = parent
    ? readdirSync(path.join(repoRoot, parent)).map((name) => `${parent}/${name}`)
    : [pattern];
  for (const dir of dirs) {
    if (!existsSync(path.join(repoRoot, dir, 'package.json'))) continue;
    const pkg = readJson<{ name: string; scripts?: Record<string, string>; bin?: Record<string, string> }>(`${dir}/package.json`);
    workspaceScripts.set(pkg.name, pkg.scripts ?? {});
    for (const bin of Object.keys(pkg.bin ?? {})) workspaceBins.add(bin);
  }
}

const composeServices = Object.keys(
  (parse(readFileSync(path.join(repoRoot, 'docker/compose.yaml'), 'utf8')) as { services: object }).services,
);

/** docs/cli.md's help pages by command path ("worker", "control revoke", …). */
const cliPages = new Map(
  [
    ...readFileSync(path.join(repoRoot, 'docs/cli.md'), 'utf8').matchAll(
      /^## `lovage ?([^`]*)`\n\n```text\n([\s\S]*?)\n```/gm,
    ),
  ].map((m) => [m[1]!, m[2]!]),
);

/** What is wrong with `lovage ARGS…` as the docs write it (synopses allowed: [-x], a|b). */
function checkLovage(args: string[]): string[] {
  const command = args[0];
  if (!command || !cliPages.has(command)) return [`lovage ${command ?? ''}: no such command in docs/cli.md`];
  const pages = [...cliPages]
    .filter(([name]) => name === command || name.startsWith(`${command} `))
    .map(([, text]) => text);
  const problems: string[] = [];
  for (const word of args.slice(1)) {
    for (const flag of word.replace(/[[\]()]/g, ' ').split(/[\s|]+/)) {
      const name = flag.split('=')[0]!;
      if (!/^--?[a-zA-Z][\w-]*$/.test(name)) continue;
      const listed = new RegExp(`(^|[\\s,])${name}([\\s,]|$)`, 'm');
      if (!pages.some((text) => listed.test(text)))
        problems.push(`lovage ${command}: no flag ${name} in its --help`);
    }
  }
  return problems;
}

/** Routes the curl examples call, checked against a real gateway below. */
const calledRoutes: { at: string; method: string; url: string }[] = [];

function checkShellCommand(at: string, command: string[]): string[] {
  let rest = command;
  if (rest[0] === 'export') rest = rest.slice(1);
  // Leading assignments: a command substitution makes the whole line an assignment.
  while (rest[0] && /^[A-Za-z_][A-Za-z0-9_]*=/.test(rest[0])) {
    const [name, ...value] = rest[0].split('=');
    if (value.join('=').startsWith('$(')) return [];
    if (name === 'LOVAGE_BROKER_URL' || name === 'DATABASE_URL') {
      try {
        loadDemoConfig({ [name]: value.join('=') });
      } catch (error) {
        return [`${at}: ${name}: ${(error as Error).message}`];
      }
    }
    rest = rest.slice(1);
  }
  const [program, ...args] = rest;
  if (program === undefined) return [];
  switch (program) {
    case 'npm':
      return checkNpm(args).map((p) => `${at}: ${p}`);
    case 'npx':
      if (args[0] === 'lovage') return checkLovage(args.slice(1)).map((p) => `${at}: ${p}`);
      return args[0] !== undefined && workspaceBins.has(args[0]) ? [] : [`${at}: npx ${args[0]}: not a command of this project`];
    case 'lovage':
      return checkLovage(args).map((p) => `${at}: ${p}`);
    case 'curl': {
      const url = args.find((a) => a.startsWith('$GW/') || /^https?:\/\//.test(a));
      if (!url) return [`${at}: curl without a gateway URL`];
      const explicit = args.indexOf('-X');
      const method = explicit >= 0 ? args[explicit + 1]! : args.includes('-d') ? 'POST' : 'GET';
      calledRoutes.push({ at, method, url: url.replace(/^(\$GW|https?:\/\/[^/]+)/, '').split('?')[0]! });
      return [];
    }
    case 'docker': {
      const problems: string[] = [];
      const file = args[args.indexOf('-f') + 1];
      if (args[0] !== 'compose' || !file || !existsSync(path.join(repoRoot, file)))
        problems.push(`${at}: docker compose -f needs an existing file`);
      const scale = args[args.indexOf('--scale') + 1];
      if (args.includes('--scale') && !composeServices.includes(scale?.split('=')[0] ?? ''))
        problems.push(`${at}: no compose service ${scale}`);
      return problems;
    }
    case 'cp':
      return existsSync(path.join(repoRoot, args[0] ?? '')) ? [] : [`${at}: cp ${args[0]}: no such file`];
    default:
      return [`${at}: ${program}: this test does not know how to check it`];
  }
}

function checkNpm(args: string[]): string[] {
  const [verb, ...rest] = args;
  if (verb === 'install' || verb === 'ci') return [];
  const dashDash = rest.indexOf('--');
  const own = dashDash >= 0 ? rest.slice(0, dashDash) : rest;
  const passed = dashDash >= 0 ? rest.slice(dashDash + 1) : [];
  const flag = own.indexOf('-w');
  const workspaceName = flag >= 0 ? own[flag + 1] : undefined;
  const script =
    verb === 'run' ? own.find((a, i) => i === 0 || (own[i - 1] !== '-w' && !a.startsWith('-'))) : verb;
  const scripts = workspaceName ? workspaceScripts.get(workspaceName) : rootPackage.scripts;
  if (!scripts) return [`npm -w ${workspaceName}: no such workspace`];
  if (!script || !(script in scripts))
    return [`npm ${verb} ${script ?? ''}: no such script in ${workspaceName ?? 'the root package.json'}`];
  if (workspaceName === '@lovage/demo' && script === 'start') {
    try {
      loadDemoConfig({}, passed);
    } catch (error) {
      return [`npm start -w @lovage/demo -- ${passed.join(' ')}: ${(error as Error).message.split('\n')[0]}`];
    }
  }
  return [];
}

// ---------------------------------------------------------------------------
// Program output shown in the guides, rendered by the demo's own code.

/** Lines with `…` match a real line when the parts around it appear in order. */
function matchesWithElision(shown: string, real: string): boolean {
  let at = 0;
  for (const part of shown.split('…')) {
    const found = real.indexOf(part, at);
    if (found < 0) return false;
    at = found + part.length;
  }
  return shown.includes('…') || shown === real;
}

const outputs: Record<string, () => string[]> = {
  banner: () =>
    banner(loadDemoConfig({}), 'http://0.0.0.0:5555', {
      email: 'admin@lovage.local',
      password: { source: 'generated', value: 'Xy7…' },
    })
      .replaceAll(path.dirname(defaultDataDir), '/path/to/lovage')
      .trim()
      .split('\n'),
  'start-errors': () => [
    describeStartError(Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE' }), 5555),
    describeStartError(new BrokerUnreachable('redis://127.0.0.1:6379/0', 'ECONNREFUSED'), 0),
    describeStartError(
      new DatabaseError(
        'Cannot prepare the PostgreSQL database at postgresql://postgres@127.0.0.1:5432/lovage: database "lovage" does not exist',
      ),
      0,
    ),
  ],
};

// ---------------------------------------------------------------------------

// Checked once: this also collects the routes the curl examples call.
const shellProblems = blocks
  .filter((b) => b.lang === 'sh')
  .flatMap((b) => commandsOf(b.code).flatMap((command) => checkShellCommand(where(b), command)));

describe('fenced blocks of the guides', () => {
  it('are each checked by a test: none is silently skipped', () => {
    expect(blocks.length).toBeGreaterThan(50);
    expect(
      blocks.filter((b) => checkerOf(b) === undefined).map((b) => `${where(b)} (${b.lang || 'untagged'})`),
    ).toEqual([]);
  });

  it('shell blocks run npm scripts, files, compose services and lovage commands that exist', () => {
    expect(shellProblems).toEqual([]);
    expect(calledRoutes.length).toBeGreaterThan(15);
  });

  it('CLI synopses name commands and flags that `lovage --help` lists', () => {
    const synopses = blocks.filter((b) => checkerOf(b) === 'cli synopsis');
    expect(synopses.length).toBeGreaterThanOrEqual(3);
    const problems: string[] = [];
    for (const block of synopses) {
      for (const line of block.code.split('\n')) {
        const args = words(line);
        // Continuation lines (`| pool-grow [N]`) belong to the command above.
        if (args[0] === 'lovage')
          problems.push(...checkLovage(args.slice(1)).map((p) => `${where(block)}: ${p}`));
        else
          problems.push(
            ...checkLovage([lastCommand(block.code, line), ...args]).map((p) => `${where(block)}: ${p}`),
          );
      }
    }
    expect(problems).toEqual([]);
  });

  it('YAML blocks parse', () => {
    for (const block of blocks.filter((b) => b.lang === 'yaml'))
      expect(() => parse(block.code) as unknown, where(block)).not.toThrow();
  });

  it('shown program output is what the demo prints', () => {
    const shown = blocks.filter((b) => b.outputOf !== undefined);
    expect(shown.map((b) => b.outputOf).sort()).toEqual(['banner', 'start-errors']);
    for (const block of shown) {
      const real = outputs[block.outputOf!]!();
      const lines = block.code.trim().split('\n');
      expect(lines.length, where(block)).toBe(real.length);
      lines.forEach((line, i) =>
        expect(
          matchesWithElision(line.trim(), real[i]!.trim()),
          `${where(block)}:\n${line}\n${real[i]}`,
        ).toBe(true),
      );
    }
  });

  it('the checks fail on what they are for', () => {
    expect(checkLovage(['wokrer'])).toEqual(['lovage wokrer: no such command in docs/cli.md']);
    expect(checkLovage(['worker', '--concurency', '4'])).toEqual([
      'lovage worker: no flag --concurency in its --help',
    ]);
    expect(checkShellCommand('x', words('npm run no-such-script -w @lovage/demo'))).toEqual([
      'x: npm run no-such-script: no such script in @lovage/demo',
    ]);
    expect(checkShellCommand('x', words('npm start -w @lovage/demo -- --rte 3'))[0]).toMatch(
      /^x: npm start -w @lovage\/demo -- --rte 3: /,
    );
    expect(
      checkShellCommand('x', words('docker compose -f docker/compose.yaml up --scale wroker=2')),
    ).toEqual(['x: no compose service wroker=2']);
    expect(matchesWithElision('a … c', 'a b c')).toBe(true);
    expect(matchesWithElision('a … d', 'a b c')).toBe(false);
    expect(matchesWithElision('a b', 'a b c')).toBe(false);
  });
});

function lastCommand(code: string, line: string): string {
  const before = code.split('\n').slice(0, code.split('\n').indexOf(line));
  const last = before.reverse().find((l) => l.startsWith('lovage '));
  return words(last ?? '')[1] ?? '';
}

describe('curl examples', () => {
  let dataDir: string;
  let gateway: Gateway;
  // The action routes (revoke, retry, purge, …) exist only when the gateway has an engine app.
  const app = new Lovage({ name: 'docs-blocks', broker: 'memory://', logLevel: 'silent' });
  beforeAll(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), 'lovage-docs-blocks-'));
    gateway = await createGateway({
      app,
      port: 0,
      host: '127.0.0.1',
      dataDir,
      databaseUrl: undefined,
      logLevel: 'silent',
      retention: false,
    });
  }, embeddedStartMs);
  afterAll(async () => {
    await gateway?.close();
    await app.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  /** The gateway's own "no such route" answer, as opposed to a refusal by a real route. */
  const missing = async (method: string, url: string): Promise<boolean> => {
    const response = await gateway.app.inject({ method: method as 'GET', url: encodeURI(url) });
    return response.statusCode === 404 && response.body.includes('No route');
  };

  it('call routes the gateway has', async () => {
    expect(await missing('GET', '/api/v1/no-such-route')).toBe(true);
    const problems: string[] = [];
    for (const route of calledRoutes)
      if (await missing(route.method, route.url)) problems.push(`${route.at}: ${route.method} ${route.url}`);
    expect(problems).toEqual([]);
  });

  it('name routes the gateway has in the prose too (`GET /api/task/info/:id`)', async () => {
    const mentioned = guideFiles().flatMap((doc) =>
      [
        ...readFileSync(path.join(repoRoot, doc), 'utf8').matchAll(
          /`(GET|POST|PUT|PATCH|DELETE) (\/[^`\s?]*)/g,
        ),
      ].map((m) => ({
        doc,
        method: m[1]!,
        url: m[2]!,
      })),
    );
    expect(mentioned.length).toBeGreaterThanOrEqual(8);
    const problems: string[] = [];
    for (const route of mentioned) {
      // A parameter (`:id`) gets a sample value; the route must exist, whatever it answers.
      if (await missing(route.method, route.url.replace(/:\w+/g, 'sample')))
        problems.push(`${route.doc}: ${route.method} ${route.url}`);
    }
    expect(problems).toEqual([]);
  });
});
