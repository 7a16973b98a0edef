// One-time enrollment tokens: an admin creates one for a cluster, the new
// agent presents it once and receives its long-lived credential.
import { getDb } from './client.ts';
import { mapDbErrors } from './errors.ts';
import { type HostConnectInput, type HostView, upsertHostOnConnect } from './host-record.ts';
import { generateToken, hashToken } from './tokens.ts';

export const DEFAULT_ENROLLMENT_TTL_MS = 60 * 60 * 1000;

/** Returns the raw token (shown to the admin once); only its hash is stored. */
export async function create(
  clusterId: string,
  ttlMs: number = DEFAULT_ENROLLMENT_TTL_MS,
): Promise<{ id: string; token: string; expiresAt: Date }> {
  const token = generateToken();
  const expiresAt = new Date(Date.now() + ttlMs);
  const row = await getDb().enrollmentToken.create({
    data: { tokenHash: hashToken(token), clusterId, expiresAt },
    select: { id: true },
  });
  return { id: row.id, token, expiresAt };
}

/**
 * Atomically use the token and register the host in the token's cluster.
 * Pass the new agent credential's hash in `host.credentialHash`.
 * Returns null (and changes nothing) if the token is unknown, used or expired.
 */
export async function consume(token: string, host: Omit<HostConnectInput, 'clusterId'>): Promise<HostView | null> {
  const tokenHash = hashToken(token);
  return mapDbErrors(() =>
    getDb().$transaction(async (tx) => {
      const now = new Date();
      const claimed = await tx.enrollmentToken.updateMany({
        where: { tokenHash, usedAt: null, expiresAt: { gt: now } },
        data: { usedAt: now },
      });
      if (claimed.count !== 1) return null;
      const { id, clusterId } = await tx.enrollmentToken.findUniqueOrThrow({
        where: { tokenHash },
        select: { id: true, clusterId: true },
      });
      const view = await upsertHostOnConnect(tx, { ...host, clusterId });
      await tx.enrollmentToken.update({ where: { id }, data: { hostId: view.id }, select: { id: true } });
      return view;
    }),
  );
}
