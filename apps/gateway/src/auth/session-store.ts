// Sessions in the database. The cookie carries a random 256-bit id; the table
// keeps only its sha256, so a leaked database dump holds no usable session.
// Expiry slides: each use past half the lifetime pushes expiresAt forward (one
// write per half-lifetime, not per request), capped at an absolute age.
import { randomUUID } from 'node:crypto';
import type { PrismaClient } from '../generated/prisma/client.js';
import type { Role } from '../api/schemas.js';
import { hashSecret, randomSecret } from './secrets.js';

/** However active, a session ends this long after sign-in. */
export const MAX_SESSION_AGE_MS = 30 * 24 * 3_600_000;

export interface ActiveSession {
  id: string;
  userId: string;
  email: string;
  role: Role;
  expiresAt: Date;
  /** True when this lookup pushed expiresAt forward (the cookie should be re-sent). */
  renewed: boolean;
}

export class SessionStore {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get lifetimeMs(): number {
    return this.ttlMs;
  }

  /** Starts a session and returns the secret for the cookie (never stored). */
  async create(userId: string, client: { ip: string | null; userAgent: string | null }): Promise<{ secret: string; id: string; expiresAt: Date }> {
    const secret = randomSecret(32);
    const id = randomUUID();
    const expiresAt = new Date(this.now() + this.ttlMs);
    await this.prisma.session.create({
      data: {
        id,
        tokenHash: hashSecret(secret),
        userId,
        expiresAt,
        ip: client.ip,
        userAgent: client.userAgent?.slice(0, 500) ?? null,
      },
    });
    return { secret, id, expiresAt };
  }

  /** The live session behind a cookie value, or null (an expired one is deleted). */
  async resolve(secret: string): Promise<ActiveSession | null> {
    if (secret.length < 20 || secret.length > 100) return null;
    const row = await this.prisma.session.findUnique({
      where: { tokenHash: hashSecret(secret) },
      include: { user: { select: { email: true, role: true } } },
    });
    if (!row) return null;
    const now = this.now();
    if (row.expiresAt.getTime() <= now || row.createdAt.getTime() + MAX_SESSION_AGE_MS <= now) {
      await this.prisma.session.deleteMany({ where: { id: row.id } });
      return null;
    }
    let expiresAt = row.expiresAt;
    let renewed = false;
    if (expiresAt.getTime() - now < this.ttlMs / 2) {
      expiresAt = new Date(Math.min(now + this.ttlMs, row.createdAt.getTime() + MAX_SESSION_AGE_MS));
      await this.prisma.session.updateMany({ where: { id: row.id }, data: { expiresAt, lastSeenAt: new Date(now) } });
      renewed = true;
    }
    return { id: row.id, userId: row.userId, email: row.user.email, role: row.user.role, expiresAt, renewed };
  }

  async delete(id: string): Promise<void> {
    await this.prisma.session.deleteMany({ where: { id } });
  }

  /** Signs a user out everywhere (except, optionally, the session making the change). Returns how many sessions ended. */
  async deleteForUser(userId: string, exceptId?: string): Promise<number> {
    return (await this.prisma.session.deleteMany({ where: { userId, ...(exceptId ? { id: { not: exceptId } } : {}) } })).count;
  }

  async deleteExpired(): Promise<number> {
    const result = await this.prisma.session.deleteMany({ where: { expiresAt: { lte: new Date(this.now()) } } });
    return result.count;
  }
}
