// Names the guides' TypeScript fragments use without defining them, so each
// fragment type-checks on its own (a fragment that defines one of these names
// shadows the declaration here). Real types from the workspace packages.
import type { AsyncResult, Lovage as LovageApp, Task } from '@lovage/engine';
import type { PrismaClient } from '../src/generated/prisma/client.js';

declare global {
  // Fragments that skip their imports: the engine's own classes.
  const Lovage: typeof LovageApp;
  const app: LovageApp;
  const broker: string;
  const destination: string;
  const prisma: PrismaClient;
  const add: Task<[number, number], number>;
  const greet: Task<[string], string>;
  const sendWelcomeEmail: Task<[number], string>;
  const result: AsyncResult<number>;
  const id: string;
  const user: { id: number; email: string };
  const data: { email: string; name: string };
  const traceId: string;
  const ids: string[];
  const connectionString: string;
  const db: PrismaClient;
  function sendEmail(message: { to: string; template: string }): Promise<void>;
  function processPayment(orderId: number): Promise<string>;
  function build(options: { signal: AbortSignal }): Promise<string>;
  function handle(event: unknown): void;
  function onProgress(done: number, total: number): void;
  function log(event: unknown): void;
  const audit: { write(event: unknown): void };
  function print(events: unknown): void;
}
