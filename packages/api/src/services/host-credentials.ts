/** Host credentials: random secrets given to agents at enrollment; only their hash is stored. */
import { createHash, randomBytes } from 'node:crypto';
import { hosts } from '@vireo/db';

export function newCredential(): { credential: string; hash: string } {
  const credential = randomBytes(32).toString('base64url');
  return { credential, hash: hashCredential(credential) };
}

export function hashCredential(credential: string): string {
  return createHash('sha256').update(credential).digest('hex');
}

export async function hostFromCredential(credential: string): Promise<{ id: string; name: string } | null> {
  const host = await hosts.byCredentialHash(hashCredential(credential));
  return host ? { id: host.id, name: host.name } : null;
}
