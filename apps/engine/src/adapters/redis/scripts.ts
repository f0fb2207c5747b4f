// Runs the Lua scripts in ./scripts by their SHA1 (EVALSHA), sending the
// script's text (EVAL, which also loads it) only when the server answers
// NOSCRIPT: once per script after a restart, a failover or SCRIPT FLUSH. The
// key count is passed on each call; the file name says how many keys a script
// takes (`reserve-9.lua`: 9; `store-results-n.lua`: any number).
//
// Not ioredis's defineCommand: every pipeline ioredis builds copies each
// defined command onto itself, some 4 KB for Lovage's 27 scripts. With
// auto-pipelining (off since: see connection.ts) ioredis built a pipeline per
// flush, so a worker paid that per task when tasks came one at a time.
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ChainableCommander } from 'ioredis';
import type { RedisClient } from './connection.js';

export type ScriptName =
  | 'enqueue'
  | 'promote'
  | 'reserve'
  | 'renew'
  | 'settle'
  | 'revoke'
  | 'recover'
  | 'rate-limit'
  | 'requeue-dead'
  | 'drop-dead'
  | 'store-results'
  | 'store-unless-ready'
  | 'schedule-save'
  | 'schedule-delete'
  | 'schedule-claim'
  | 'schedule-request-run'
  | 'beat-lock'
  | 'beat-unlock'
  | 'kombu-reserve'
  | 'kombu-restore'
  | 'celery-store-results'
  | 'chord-open'
  | 'chord-join'
  | 'workflow-claim-retry'
  | 'set-paused'
  | 'set-concurrency'
  | 'take-slots';

// tsc does not copy .lua files: compiled code (dist/) reads them from src/, which the package ships.
const beside = fileURLToPath(new URL('./scripts/', import.meta.url));
const dir = existsSync(beside) ? beside : fileURLToPath(new URL('../../../src/adapters/redis/scripts/', import.meta.url));

interface Script {
  lua: string;
  sha: string;
  /** The key count its file name gives, or undefined for any (`-n.lua`). */
  keys: number | undefined;
}

let cache: Map<string, Script> | undefined;

/** Replaces each `--!include NAME` line with scripts/includes/NAME.lua: Lua shared by several scripts. */
function withIncludes(lua: string): string {
  return lua.replace(/^--!include ([\w-]+)$/gm, (_line, name: string) =>
    readFileSync(`${dir}includes/${name}.lua`, 'utf8'),
  );
}

function scripts(): Map<string, Script> {
  cache ??= new Map(
    readdirSync(dir)
      .filter((f) => f.endsWith('.lua'))
      .map((file) => {
        const match = /^(.+?)-(\d+|n)\.lua$/.exec(file);
        if (!match) throw new Error(`script file ${file} must be named <name>-<numKeys>.lua (or <name>-n.lua)`);
        const lua = withIncludes(readFileSync(dir + file, 'utf8'));
        return [match[1]!, { lua, sha: createHash('sha1').update(lua).digest('hex'), keys: match[2] === 'n' ? undefined : Number(match[2]) }];
      }),
  );
  return cache;
}

type Arg = string | number | Buffer;

const isNoScript = (err: unknown): boolean => err instanceof Error && err.message.startsWith('NOSCRIPT');

function scriptOf(name: ScriptName, keys: string[]): Script {
  const script = scripts().get(name);
  if (!script) throw new Error(`no script ${name} in ${dir}`);
  if (script.keys !== undefined && script.keys !== keys.length) throw new Error(`script ${name} takes ${script.keys} keys, given ${keys.length}`);
  return script;
}

/** Runs script `name` on `client`: EVALSHA, then EVAL if the server does not have it yet. */
export function runScript(client: RedisClient, name: ScriptName, keys: string[], argv: Arg[]): Promise<unknown> {
  const script = scriptOf(name, keys);
  return client.evalsha(script.sha, keys.length, ...keys, ...argv).catch((err: unknown) => {
    if (!isNoScript(err)) throw err;
    return client.eval(script.lua, keys.length, ...keys, ...argv);
  });
}

/**
 * Queues script `name` on a pipeline as EVAL, with the script's text: a
 * pipeline's replies come back together, so one NOSCRIPT could not be retried
 * alone. For rare paths; runScript is the one for every call on a hot path.
 */
export function queueScript(pipeline: ChainableCommander, name: ScriptName, keys: string[], argv: Arg[]): void {
  const script = scriptOf(name, keys);
  pipeline.eval(script.lua, keys.length, ...keys, ...argv);
}
