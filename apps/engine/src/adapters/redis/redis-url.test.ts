import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../errors.js';
import { parseRedisUrl } from './redis-url.js';

describe('parseRedisUrl', () => {
  it('leaves single-server URLs to ioredis, credentials and TLS included', () => {
    expect(parseRedisUrl('redis://u:p@h:7000/2')).toEqual({ kind: 'server', url: 'redis://u:p@h:7000/2' });
    expect(parseRedisUrl('rediss://h')).toEqual({ kind: 'server', url: 'rediss://h' });
  });

  it('reads a Cluster host list, defaulting each port to 6379 (not the sentinel port)', () => {
    expect(parseRedisUrl('redis+cluster://a:7000,b,c:7002/')).toEqual({
      kind: 'cluster',
      nodes: [
        { host: 'a', port: 7000 },
        { host: 'b', port: 6379 },
        { host: 'c', port: 7002 },
      ],
      tls: false,
    });
  });

  it('carries user, password and TLS on Cluster URLs, percent-decoded', () => {
    expect(parseRedisUrl('rediss+cluster://app:p%40ss%3Aword@a:7000,b:7001')).toEqual({
      kind: 'cluster',
      nodes: [
        { host: 'a', port: 7000 },
        { host: 'b', port: 7001 },
      ],
      tls: true,
      username: 'app',
      password: 'p@ss:word',
    });
    expect(parseRedisUrl('redis+cluster://:secret@a')).toMatchObject({ password: 'secret', tls: false });
    expect(parseRedisUrl('redis+cluster://:secret@a')).not.toHaveProperty('username');
  });

  it('reads Sentinel URLs: hosts (default port 26379), master, database, credentials and TLS', () => {
    expect(parseRedisUrl('redis+sentinel://s1,s2:5000/mymaster/3')).toEqual({
      kind: 'sentinel',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 5000 },
      ],
      name: 'mymaster',
      db: 3,
      tls: false,
    });
    expect(parseRedisUrl('rediss+sentinel://u:pw@s1:26379/main')).toEqual({
      kind: 'sentinel',
      sentinels: [{ host: 's1', port: 26379 }],
      name: 'main',
      db: 0,
      tls: true,
      username: 'u',
      password: 'pw',
    });
    expect(parseRedisUrl('redis+sentinel://[::1]:26380/main/')).toMatchObject({ sentinels: [{ host: '::1', port: 26380 }], db: 0 });
  });

  it.each([
    ['redis+cluster://', /no host given/],
    ['redis+cluster://a:7000,,b', /empty host/],
    ['redis+cluster://a:70000', /port of "a:70000" must be a number from 1 to 65535/],
    ['redis+cluster://a:x', /port of "a:x"/],
    ['redis+cluster://a:7000/0', /Cluster URL takes no path/],
    ['redis+cluster://a?tls=1', /query strings/],
    ['redis+cluster://justuser@a', /credentials must be user:password/],
    ['redis+cluster://u:@a', /password is empty/],
    ['redis+cluster://u:%zz@a', /password is not valid percent-encoding/],
    ['redis+sentinel://s1:26379', /master name is missing/],
    ['redis+sentinel://s1:26379/main/x', /database must be a number, got "x"/],
    ['redis+sentinel://s1:26379/main/0/extra', /too many path segments/],
    ['redis+sentinal://s1/main', /unsupported scheme/],
  ])('rejects %s with a ConfigError saying what is wrong', (url, message) => {
    expect(() => parseRedisUrl(url)).toThrow(ConfigError);
    expect(() => parseRedisUrl(url)).toThrow(message);
  });

  it('never shows the password in its errors', () => {
    expect(() => parseRedisUrl('redis+cluster://u:hunter2@a:99999')).toThrow(/^Redis URL "redis\+cluster:\/\/\*\*\*@a:99999": /);
  });
});
