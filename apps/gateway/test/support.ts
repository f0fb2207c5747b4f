// Test helpers: a gateway on a fresh Postgres database, and an HTTP client that
// keeps cookies like a browser and echoes the CSRF cookie like the dashboard.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { io, type Socket } from 'socket.io-client';
import type { LiveClientEvents, LiveServerEvents } from '../src/live/schemas.js';
import { createGateway, type Gateway, type GatewayOptions } from '../src/server.js';

export const ADMIN = { email: 'admin@example.com', password: 'admin-password-123' };

export async function startGateway(databaseUrl: string, options: Partial<GatewayOptions> = {}): Promise<Gateway> {
  return createGateway({
    databaseUrl,
    port: 0,
    host: '127.0.0.1',
    logger: pino({ level: 'silent' }),
    // Cheap hashes keep the suite fast; the timing test passes the production cost.
    passwordCost: 1024,
    ...options,
    security: {
      adminEmail: ADMIN.email,
      adminPassword: ADMIN.password,
      dashboardUrl: 'http://dashboard.test:3000',
      metricsToken: undefined,
      trustProxy: false,
      sessionTtlMs: 3_600_000,
      ...options.security,
    },
  });
}

export interface RequestOptions {
  body?: unknown;
  headers?: Record<string, string>;
  /** Leave out the x-csrf-token header even when the client has the cookie. */
  noCsrf?: boolean;
}

export class Client {
  readonly cookies = new Map<string, string>();
  lastSetCookies: string[] = [];

  constructor(private readonly baseUrl: string) {}

  async request(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.body !== undefined) headers['content-type'] ??= 'application/json';
    if (this.cookies.size > 0) headers.cookie = [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
    const csrf = this.cookies.get('lovage_csrf');
    if (csrf && !options.noCsrf && method !== 'GET') headers['x-csrf-token'] ??= csrf;
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers,
      ...(options.body === undefined ? {} : { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }),
    });
    this.lastSetCookies = response.headers.getSetCookie();
    for (const line of this.lastSetCookies) {
      const [pair] = line.split(';');
      const index = pair!.indexOf('=');
      const name = pair!.slice(0, index);
      const value = pair!.slice(index + 1);
      if (value === '' || /max-age=0|expires=thu, 01 jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return response;
  }

  async login(email: string, password: string): Promise<Response> {
    return this.request('POST', '/api/v1/auth/login', { body: { email, password } });
  }
}

/** A signed-in client; creates the user first (through the admin) when it is not the admin. */
export async function signedIn(gateway: Gateway, role: 'viewer' | 'operator' | 'admin'): Promise<Client> {
  const admin = new Client(gateway.url);
  const login = await admin.login(ADMIN.email, ADMIN.password);
  if (login.status !== 200) throw new Error(`admin login failed: ${login.status}`);
  if (role === 'admin') return admin;
  const email = `${role}-${Math.random().toString(36).slice(2, 8)}@example.com`;
  const created = await admin.request('POST', '/api/v1/users', { body: { email, password: 'user-password-123', role } });
  if (created.status !== 201) throw new Error(`user create failed: ${created.status} ${await created.text()}`);
  const client = new Client(gateway.url);
  const response = await client.login(email, 'user-password-123');
  if (response.status !== 200) throw new Error(`${role} login failed: ${response.status}`);
  return client;
}

export async function errorOf(response: Response): Promise<{ code: string; message: string; field?: string }> {
  const body = (await response.json()) as { error: { code: string; message: string; field?: string } };
  return body.error;
}

export type LiveSocket = Socket<LiveServerEvents, LiveClientEvents>;

/** A socket.io client of the gateway's live feed, signed in with the client's session cookie. */
export function connectLive(gateway: Gateway, client: Client): Promise<LiveSocket> {
  const socket: LiveSocket = io(gateway.url, {
    path: '/socket.io',
    transports: ['websocket'],
    extraHeaders: { cookie: [...client.cookies].map(([name, value]) => `${name}=${value}`).join('; ') },
    reconnection: false,
  });
  return new Promise((resolve, reject) => {
    socket.on('connect', () => resolve(socket));
    socket.on('connect_error', reject);
  });
}

const gatewayFixture = fileURLToPath(new URL('./fixtures/gateway-process.ts', import.meta.url));

/**
 * Starts fixtures/gateway-process.ts (its arguments are documented there) with `env`
 * added to the environment, and resolves with its URL once it listens. The child goes
 * into `children`, for the test to stop (or kill) by its pid.
 */
export function gatewayProcess(args: string[], children: ChildProcess[], env: Record<string, string> = {}): Promise<string> {
  // Node with tsx's loader, so the pid is the gateway's own.
  const child = spawn(process.execPath, ['--import', 'tsx', '--conditions=@lovage/source', gatewayFixture, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith('{"url"')) resolve((JSON.parse(line) as { url: string }).url);
    });
    child.once('exit', (code) => reject(new Error(`gateway process exited (${code}) before listening`)));
  });
}
