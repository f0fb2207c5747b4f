// Static checks of docker/compose.yaml and its Dockerfiles. There is no Docker engine on the
// machines that run our tests, so these catch what `docker compose build` would trip over:
// missing build contexts and Dockerfiles, COPY sources that are not in the context, commands
// that name files the image never receives, and variables missing from .env.example.
// Every check takes an already-parsed document, so tests can feed it a broken variant.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, posix, resolve } from 'node:path';
import { parse } from 'yaml';

export interface ComposeService {
  build?: string | { context?: string; dockerfile?: string };
  image?: string;
  command?: string | string[];
  entrypoint?: string | string[];
  environment?: Record<string, string | number | boolean | null> | string[];
  depends_on?: string[] | Record<string, { condition?: string }>;
  healthcheck?: { test?: string | string[]; disable?: boolean };
  [key: string]: unknown;
}

export interface ComposeDocument {
  services: Record<string, ComposeService>;
  [key: string]: unknown;
}

export interface LoadedCompose {
  document: ComposeDocument;
  /** The raw text, where `${VAR}` references are still visible. */
  text: string;
  /** The folder compose resolves relative paths against. */
  dir: string;
}

export function loadCompose(file: string): LoadedCompose {
  const text = readFileSync(file, 'utf8');
  const document = parseCompose(text);
  return { document, text, dir: dirname(resolve(file)) };
}

export function parseCompose(text: string): ComposeDocument {
  const parsed: unknown = parse(text, { merge: true });
  if (typeof parsed !== 'object' || parsed === null || !('services' in parsed)) {
    throw new Error('compose document has no services');
  }
  return parsed as ComposeDocument;
}

interface BuildTarget {
  service: string;
  context: string;
  dockerfile: string;
}

function buildTarget(
  service: string,
  definition: ComposeService,
  composeDir: string,
): BuildTarget | undefined {
  const build = definition.build;
  if (build === undefined) return undefined;
  const context = resolve(composeDir, typeof build === 'string' ? build : (build.context ?? '.'));
  const dockerfileName = typeof build === 'string' ? 'Dockerfile' : (build.dockerfile ?? 'Dockerfile');
  const dockerfile = isAbsolute(dockerfileName) ? dockerfileName : join(context, dockerfileName);
  return { service, context, dockerfile };
}

function buildTargets(document: ComposeDocument, composeDir: string): BuildTarget[] {
  return Object.entries(document.services).flatMap(([name, definition]) => {
    const target = buildTarget(name, definition, composeDir);
    return target ? [target] : [];
  });
}

/** Every service that builds an image has an existing context and Dockerfile. */
export function checkBuildFiles(document: ComposeDocument, composeDir: string): string[] {
  const errors: string[] = [];
  for (const [name, definition] of Object.entries(document.services)) {
    if (definition.build === undefined && definition.image === undefined) {
      errors.push(`service "${name}": neither build nor image is set`);
    }
    const target = buildTarget(name, definition, composeDir);
    if (!target) continue;
    if (!existsSync(target.context)) {
      errors.push(`service "${name}": build context ${target.context} does not exist`);
    } else if (!existsSync(target.dockerfile)) {
      errors.push(`service "${name}": Dockerfile ${target.dockerfile} does not exist`);
    }
  }
  return errors;
}

export interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

/** Dockerfile instructions with continuation lines joined and comments dropped. */
export function parseDockerfile(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  let pending = '';
  let startLine = 0;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (pending === '' && (line === '' || line.startsWith('#'))) return;
    if (pending !== '' && line.startsWith('#')) return;
    if (pending === '') startLine = index + 1;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      return;
    }
    const full = `${pending}${line}`.trim();
    pending = '';
    const match = /^(\S+)\s*(.*)$/s.exec(full);
    if (match?.[1])
      instructions.push({ keyword: match[1].toUpperCase(), args: match[2] ?? '', line: startLine });
  });
  return instructions;
}

/** Splits instruction arguments: JSON array form or whitespace-separated shell form. */
export function splitArguments(args: string): string[] {
  const trimmed = args.trim();
  if (trimmed.startsWith('[')) {
    const parsed: unknown = JSON.parse(trimmed);
    if (Array.isArray(parsed)) return parsed.map(String);
  }
  return trimmed.split(/\s+/).filter((part) => part !== '');
}

interface CopyInstruction {
  from?: string;
  sources: string[];
  destination: string;
  line: number;
}

function copyInstruction(instruction: Instruction): CopyInstruction | undefined {
  if (instruction.keyword !== 'COPY' && instruction.keyword !== 'ADD') return undefined;
  const parts = splitArguments(instruction.args);
  let from: string | undefined;
  const rest: string[] = [];
  for (const part of parts) {
    if (part.startsWith('--from=')) from = part.slice('--from='.length);
    else if (!part.startsWith('--')) rest.push(part);
  }
  const destination = rest.pop();
  if (destination === undefined || rest.length === 0) return undefined;
  return { ...(from === undefined ? {} : { from }), sources: rest, destination, line: instruction.line };
}

/** The instructions of the last stage, which is the image that runs. */
function finalStage(instructions: Instruction[]): Instruction[] {
  const lastFrom = instructions.map((instruction) => instruction.keyword).lastIndexOf('FROM');
  return lastFrom === -1 ? instructions : instructions.slice(lastFrom);
}

/** Every COPY/ADD source taken from the build context exists there (stage copies are skipped). */
export function checkCopySources(document: ComposeDocument, composeDir: string): string[] {
  const errors: string[] = [];
  const seen = new Set<string>();
  for (const target of buildTargets(document, composeDir)) {
    if (!existsSync(target.dockerfile) || seen.has(target.dockerfile)) continue;
    seen.add(target.dockerfile);
    for (const instruction of parseDockerfile(readFileSync(target.dockerfile, 'utf8'))) {
      const copy = copyInstruction(instruction);
      if (!copy || copy.from !== undefined) continue;
      for (const source of copy.sources) {
        if (/^https?:\/\//.test(source)) continue;
        if (!existsSync(join(target.context, source))) {
          errors.push(
            `service "${target.service}": ${target.dockerfile}:${copy.line} copies ${source}, which is not in the context ${target.context}`,
          );
        }
      }
    }
  }
  return errors;
}

function asList(value: string | string[] | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.map(String) : splitArguments(value);
}

/** Arguments that name a script or module the process will load. */
function scriptArguments(args: string[]): string[] {
  return args.filter(
    (arg) => !arg.startsWith('-') && !arg.includes('$') && /\.(mjs|cjs|js|mts|ts)$/.test(arg),
  );
}

/**
 * Where a COPY would take the file at `inImage` from: a path in the build context, 'stage' for a
 * copy out of another build stage (which produces it), or undefined when this COPY does not cover it.
 * Docker copies a directory's contents into the destination, and a file to the destination itself,
 * or under its own name when the destination ends with '/' or there are several sources.
 */
function copyOrigin(
  copy: CopyInstruction,
  destination: string,
  inImage: string,
  context: string,
): string | undefined {
  const under = (dir: string) => inImage === dir || inImage.startsWith(dir.endsWith('/') ? dir : `${dir}/`);
  if (copy.from !== undefined) return under(destination) ? 'stage' : undefined;
  const intoDirectory = copy.destination.endsWith('/') || copy.destination === '.' || copy.sources.length > 1;
  let origin: string | undefined;
  for (const source of copy.sources) {
    const path = join(context, source);
    if (existsSync(path) && statSync(path).isDirectory()) {
      if (under(destination)) origin = join(source, posix.relative(destination, inImage));
    } else {
      const landsAt = intoDirectory ? posix.join(destination, posix.basename(source)) : destination;
      if (landsAt === inImage) origin = source;
    }
  }
  return origin;
}

/**
 * Every script a service runs (its command and entrypoint, from compose or the Dockerfile, and the
 * Dockerfile's HEALTHCHECK) reaches the image: through a COPY from the context, where it must exist,
 * or through a COPY from a build stage, which produces it.
 */
export function checkEntryPoints(document: ComposeDocument, composeDir: string): string[] {
  const errors: string[] = [];
  for (const [name, definition] of Object.entries(document.services)) {
    const target = buildTarget(name, definition, composeDir);
    if (!target || !existsSync(target.dockerfile)) continue;
    const stage = finalStage(parseDockerfile(readFileSync(target.dockerfile, 'utf8')));
    let workdir = '/';
    const copies: { copy: CopyInstruction; workdir: string }[] = [];
    const fromDockerfile: Record<'ENTRYPOINT' | 'CMD' | 'HEALTHCHECK', string[]> = {
      ENTRYPOINT: [],
      CMD: [],
      HEALTHCHECK: [],
    };
    for (const instruction of stage) {
      if (instruction.keyword === 'WORKDIR') workdir = posix.resolve(workdir, instruction.args.trim());
      const copy = copyInstruction(instruction);
      if (copy) copies.push({ copy, workdir });
      if (instruction.keyword === 'ENTRYPOINT' || instruction.keyword === 'CMD') {
        fromDockerfile[instruction.keyword] = splitArguments(instruction.args);
      }
      if (instruction.keyword === 'HEALTHCHECK') {
        const check = /\bCMD\s+(.*)$/s.exec(instruction.args);
        fromDockerfile.HEALTHCHECK = check?.[1] ? splitArguments(check[1]) : [];
      }
    }
    const args = [
      ...(asList(definition.entrypoint) ?? fromDockerfile.ENTRYPOINT),
      ...(asList(definition.command) ?? fromDockerfile.CMD),
      ...fromDockerfile.HEALTHCHECK,
    ];
    for (const script of new Set(scriptArguments(args))) {
      const inImage = posix.resolve(workdir, script);
      // The last COPY that covers the path decides where it comes from.
      const origin = copies
        .map(({ copy, workdir: copyDir }) =>
          copyOrigin(copy, posix.resolve(copyDir, copy.destination), inImage, target.context),
        )
        .filter((found) => found !== undefined)
        .at(-1);
      if (origin === undefined) {
        errors.push(
          `service "${name}": runs ${script}, but no COPY in ${target.dockerfile} puts it in the image`,
        );
      } else if (origin !== 'stage' && !existsSync(join(target.context, origin))) {
        errors.push(
          `service "${name}": runs ${script}, which does not exist in the context ${target.context}`,
        );
      }
    }
  }
  return errors;
}

/** Names of the variables compose interpolates (`$${...}` is an escaped dollar, not a variable). */
export function composeVariables(text: string): string[] {
  const names = new Set<string>();
  for (const match of text.matchAll(/(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)/g)) {
    if (match[1]) names.add(match[1]);
  }
  return [...names].sort();
}

export function envExampleNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const match = /^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(line);
    if (match?.[1]) names.add(match[1]);
  }
  return names;
}

/** Every variable compose.yaml reads is documented in .env.example. */
export function checkVariablesDocumented(composeText: string, envExampleText: string): string[] {
  const documented = envExampleNames(envExampleText);
  return composeVariables(composeText)
    .filter((name) => !documented.has(name))
    .map((name) => `compose.yaml reads \${${name}}, which .env.example does not list`);
}

export function serviceEnvironment(service: ComposeService): Set<string> {
  const environment = service.environment;
  if (environment === undefined) return new Set();
  if (Array.isArray(environment)) return new Set(environment.map((entry) => entry.split('=')[0] ?? entry));
  return new Set(Object.keys(environment));
}

/** Each named service sets the environment variables its code needs. */
export function checkRequiredEnvironment(
  document: ComposeDocument,
  required: Record<string, string[]>,
): string[] {
  const errors: string[] = [];
  for (const [name, variables] of Object.entries(required)) {
    const service = document.services[name];
    if (!service) {
      errors.push(`service "${name}" is missing from compose.yaml`);
      continue;
    }
    const set = serviceEnvironment(service);
    for (const variable of variables) {
      if (!set.has(variable)) errors.push(`service "${name}": environment does not set ${variable}`);
    }
  }
  return errors;
}

/** The image of every built service runs as a user other than root (the final stage's last USER). */
export function checkNonRootImages(document: ComposeDocument, composeDir: string): string[] {
  const errors: string[] = [];
  for (const target of buildTargets(document, composeDir)) {
    if (!existsSync(target.dockerfile)) continue;
    const users = finalStage(parseDockerfile(readFileSync(target.dockerfile, 'utf8'))).filter(
      (instruction) => instruction.keyword === 'USER',
    );
    const user = users.at(-1)?.args.trim().split(':')[0];
    if (user === undefined || user === 'root' || user === '0') {
      errors.push(`service "${target.service}": ${target.dockerfile} runs as ${user ?? 'root (no USER)'}`);
    }
  }
  return errors;
}

/** Environment values as written, with `KEY=value` list entries split. */
function environmentEntries(service: ComposeService): [string, string][] {
  const environment = service.environment;
  if (environment === undefined) return [];
  if (Array.isArray(environment)) {
    return environment.map((entry) => [entry.split('=')[0] ?? entry, entry.split('=').slice(1).join('=')]);
  }
  return Object.entries(environment).map(([key, value]) => [key, value === null ? '' : String(value)]);
}

/**
 * No secret is written into compose.yaml: passwords, tokens and keys, and the password of any URL
 * with credentials, come from `${VAR}` interpolation (docker/.env or the shell).
 */
export function checkSecretsFromEnvironment(document: ComposeDocument): string[] {
  const errors: string[] = [];
  for (const [name, service] of Object.entries(document.services)) {
    for (const [key, value] of environmentEntries(service)) {
      if (/PASSWORD|SECRET|TOKEN|_KEY$/.test(key) && value !== '' && !value.includes('${')) {
        errors.push(`service "${name}": ${key} is written in compose.yaml; read it from the environment`);
      }
      const credentials = /:\/\/[^:/@\s]+:([^@\s]+)@/.exec(value);
      if (credentials && !credentials[1]!.includes('${')) {
        errors.push(`service "${name}": ${key} has a password written in compose.yaml`);
      }
    }
  }
  return errors;
}

/**
 * Every service has a healthcheck, in compose.yaml or as its image's HEALTHCHECK, unless it is
 * listed in `without` with the reason it has none.
 */
export function checkHealthchecks(
  document: ComposeDocument,
  composeDir: string,
  without: Record<string, string>,
): string[] {
  const errors: string[] = [];
  for (const [name, service] of Object.entries(document.services)) {
    if (name in without) {
      if (service.healthcheck?.disable !== true)
        errors.push(`service "${name}": expected healthcheck.disable (${without[name]})`);
      continue;
    }
    if (service.healthcheck?.disable === true) {
      errors.push(`service "${name}": healthcheck disabled without a reason`);
      continue;
    }
    if (service.healthcheck?.test !== undefined) continue;
    const target = buildTarget(name, service, composeDir);
    const fromImage =
      target !== undefined &&
      existsSync(target.dockerfile) &&
      finalStage(parseDockerfile(readFileSync(target.dockerfile, 'utf8'))).some(
        (instruction) => instruction.keyword === 'HEALTHCHECK' && !/^NONE\b/i.test(instruction.args),
      );
    if (!fromImage) errors.push(`service "${name}": no healthcheck in compose.yaml or its image`);
  }
  return errors;
}

/** Every service states CPU and memory limits (`deploy.resources.limits`). */
export function checkResourceLimits(document: ComposeDocument): string[] {
  const errors: string[] = [];
  for (const [name, service] of Object.entries(document.services)) {
    const limits = (
      service.deploy as { resources?: { limits?: { cpus?: unknown; memory?: unknown } } } | undefined
    )?.resources?.limits;
    if (!limits?.cpus) errors.push(`service "${name}": no CPU limit`);
    if (!limits?.memory) errors.push(`service "${name}": no memory limit`);
  }
  return errors;
}

/** The HEALTHCHECK command of a Dockerfile's final stage, as written. */
export function dockerHealthcheck(dockerfile: string): string | undefined {
  return finalStage(parseDockerfile(readFileSync(dockerfile, 'utf8'))).find(
    (instruction) => instruction.keyword === 'HEALTHCHECK',
  )?.args;
}
