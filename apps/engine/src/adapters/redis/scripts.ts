// Loads every Lua script in ./scripts as an ioredis custom command (EVALSHA
// with a transparent EVAL fallback). The key count comes from the file name:
// `reserve-9.lua` → command `lovage_reserve`, 9 keys; `store-results-n.lua` →
// a variable count (runScript passes keys.length).
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
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
/** keys: the fixed key count, or undefined for a variable one (`-n.lua`). */
let cache: { name: string; keys: number | undefined; lua: string }[] | undefined;

/** Replaces each `--!include NAME` line with scripts/includes/NAME.lua: Lua shared by several scripts. */
function withIncludes(lua: string): string {
  return lua.replace(/^--!include ([\w-]+)$/gm, (_line, name: string) =>
    readFileSync(`${dir}includes/${name}.lua`, 'utf8'),
  );
}

function scripts(): { name: string; keys: number | undefined; lua: string }[] {
  cache ??= readdirSync(dir)
    .filter((f) => f.endsWith('.lua'))
    .map((file) => {
      const match = /^(.+?)-(\d+|n)\.lua$/.exec(file);
      if (!match) throw new Error(`script file ${file} must be named <name>-<numKeys>.lua (or <name>-n.lua)`);
      return { name: match[1]!, keys: match[2] === 'n' ? undefined : Number(match[2]), lua: withIncludes(readFileSync(dir + file, 'utf8')) };
    });
  return cache;
}

export const commandName = (name: ScriptName): string => `lovage_${name.replace(/-/g, '_')}`;

const variable = new Set<string>();

export function defineScripts(client: RedisClient): void {
  for (const s of scripts()) {
    client.defineCommand(commandName(s.name as ScriptName), s.keys === undefined ? { lua: s.lua } : { numberOfKeys: s.keys, lua: s.lua });
    if (s.keys === undefined) variable.add(s.name);
  }
}

type Arg = string | number | Buffer;
type Runner = Record<string, (...args: Arg[]) => Promise<unknown>>;

/** Runs a loaded script on a client or a pipeline. */
export function runScript(target: object, name: ScriptName, keys: string[], argv: Arg[]): Promise<unknown> {
  const fn = (target as Runner)[commandName(name)];
  if (!fn) throw new Error(`script ${name} is not loaded`);
  return variable.has(name) ? fn.call(target, keys.length, ...keys, ...argv) : fn.call(target, ...keys, ...argv);
}
