import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig', () => {
  it('defaults to port 5555, embedded PGlite under .lovage and no broker URL', () => {
    expect(loadConfig({})).toEqual({
      port: 5555,
      host: '0.0.0.0',
      databaseUrl: undefined,
      dataDir: '.lovage',
      brokerUrl: undefined,
      logLevel: 'info',
    });
  });

  it('treats empty variables as unset', () => {
    expect(loadConfig({ DATABASE_URL: '', PORT: '' }).databaseUrl).toBeUndefined();
  });

  it('names the variable and the value when one is invalid', () => {
    expect(() => loadConfig({ PORT: 'abc' })).toThrow(ConfigError);
    expect(() => loadConfig({ PORT: 'abc' })).toThrow(/^PORT="abc" is invalid/);
    expect(() => loadConfig({ DATABASE_URL: 'mysql://x' })).toThrow(/DATABASE_URL="mysql:\/\/x" is invalid: must start with postgres/);
  });
});
