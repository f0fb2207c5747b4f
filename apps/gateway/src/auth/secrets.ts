// Random bearer secrets (session ids, API tokens, CSRF tokens) and the hash the
// database keeps of them: the database never holds a usable credential.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const API_TOKEN_PREFIX = 'lvg_';

export function randomSecret(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export function newApiToken(): string {
  return `${API_TOKEN_PREFIX}${randomSecret(32)}`;
}

/** sha256 hex: secrets are 256-bit random, so a fast hash is enough (no dictionary to attack). */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

/** Compares two strings in time that depends only on their lengths. */
export function safeEqual(a: string, b: string): boolean {
  const left = createHash('sha256').update(a).digest();
  const right = createHash('sha256').update(b).digest();
  return timingSafeEqual(left, right) && a.length === b.length;
}
