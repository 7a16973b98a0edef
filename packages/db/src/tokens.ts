// Bearer tokens (sessions, enrollment, agent credentials) are random and only
// their SHA-256 is stored, so a leaked database grants no access.
import { createHash, randomBytes } from 'node:crypto';

/** A new random token: 32 bytes, base64url (43 chars). */
export function generateToken(): string {
  return randomBytes(32).toString('base64url');
}

/** SHA-256 of a token, hex; what the database stores and looks up. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
