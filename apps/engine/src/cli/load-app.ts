import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Lovage } from '../app/lovage.js';
import { ConfigError } from '../errors.js';

/** Imports an app module (TypeScript or JavaScript) and returns the Lovage app it exports. */
export async function loadApp(modulePath: string): Promise<{ app: Lovage; path: string }> {
  const path = resolve(modulePath);
  const mod = (await import(pathToFileURL(path).href)) as Record<string, unknown>;
  for (const value of [mod.app, mod.default, ...Object.values(mod)]) {
    if (value instanceof Lovage) return { app: value, path };
  }
  throw new ConfigError(`--app: ${modulePath} exports no Lovage app (export it as \`app\` or default)`);
}
