// The first admin. When the users table is empty at start, an admin is created
// from LOVAGE_ADMIN_EMAIL / LOVAGE_ADMIN_PASSWORD, or with a generated password
// that is handed back once (for the start banner) and never stored in clear.
import type { Logger } from 'pino';
import type { PrismaClient } from '../generated/prisma/client.js';
import { generatePassword, hashPassword } from './password.js';

export interface FirstRunLogin {
  email: string;
  /** Generated at this start; shown once, never retrievable again. */
  password: string;
}

export interface AdminLogin {
  email: string;
  /** Where the admin's password comes from. */
  password:
    | { source: 'generated'; value: string }
    | { source: 'environment' }
    | { source: 'existing' };
}

export async function ensureFirstAdmin(
  prisma: PrismaClient,
  settings: { email: string; password: string | undefined; passwordCost: number },
  logger?: Logger,
): Promise<AdminLogin> {
  if ((await prisma.user.count()) > 0) return { email: settings.email, password: { source: 'existing' } };
  const password = settings.password ?? generatePassword();
  try {
    await prisma.user.create({
      data: {
        email: settings.email,
        passwordHash: await hashPassword(password, settings.passwordCost),
        role: 'admin',
        passwordGenerated: settings.password === undefined,
      },
    });
  } catch (error) {
    // Another gateway starting at the same moment created it first; its password stands.
    if ((error as { code?: string }).code === 'P2002') return { email: settings.email, password: { source: 'existing' } };
    throw error;
  }
  logger?.info({ email: settings.email, generated: settings.password === undefined }, 'created the first admin');
  return {
    email: settings.email,
    password: settings.password === undefined ? { source: 'generated', value: password } : { source: 'environment' },
  };
}
