// One-time enrollment tokens: an admin creates one for a cluster, the new
// agent presents it once and receives its long-lived credential. A token never
// re-enrolls a host that is already enrolled (same libvirt host UUID) unless an
// admin granted that host a re-install (Host.reinstallAllowedUntil).
import { exclusive, getDb } from './client.ts';
import { mapDbErrors } from './errors.ts';
import { type HostConnectInput, type HostView, upsertHostOnConnect } from './host-record.ts';
import { generateToken, hashToken } from './tokens.ts';

export type EnrollmentTokenStatus = 'valid' | 'used' | 'expired' | 'revoked';

/** A token as admins see it listed: never the secret (only its hash is stored anyway). */
export type EnrollmentTokenView = {
  id: string;
  clusterName: string;
  createdAt: Date;
  createdByName: string | null;
  expiresAt: Date;
  usedAt: Date | null;
  revokedAt: Date | null;
  /** The host it enrolled, when used. */
  hostName: string | null;
  status: EnrollmentTokenStatus;
};

/** Returns the raw token (shown to the admin once); only its hash is stored. */
export async function create(
  clusterId: string,
  ttlMs: number,
  createdById: string | null = null,
): Promise<{ id: string; token: string; expiresAt: Date }> {
  const token = generateToken();
  const expiresAt = new Date(Date.now() + ttlMs);
  const row = await mapDbErrors(() =>
    getDb().enrollmentToken.create({
      data: { tokenHash: hashToken(token), clusterId, expiresAt, createdById },
      select: { id: true },
    }),
  );
  return { id: row.id, token, expiresAt };
}

function statusOf(
  row: { usedAt: Date | null; revokedAt: Date | null; expiresAt: Date },
  now: Date,
): EnrollmentTokenStatus {
  if (row.usedAt) return 'used';
  if (row.revokedAt) return 'revoked';
  return row.expiresAt <= now ? 'expired' : 'valid';
}

/** Newest first. */
export async function list(limit = 50): Promise<EnrollmentTokenView[]> {
  const rows = await getDb().enrollmentToken.findMany({
    select: {
      id: true,
      createdAt: true,
      expiresAt: true,
      usedAt: true,
      revokedAt: true,
      cluster: { select: { name: true } },
      createdBy: { select: { username: true } },
      host: { select: { name: true } },
    },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
    take: limit,
  });
  const now = new Date();
  return rows.map(({ cluster, createdBy, host, ...row }) => ({
    ...row,
    clusterName: cluster.name,
    createdByName: createdBy?.username ?? null,
    hostName: host?.name ?? null,
    status: statusOf(row, now),
  }));
}

/**
 * Revokes an unused token so it can no longer enroll. Returns false if there is no such token
 * or it was already used (a used token has nothing left to revoke); revoking twice is fine.
 */
export async function revoke(id: string): Promise<boolean> {
  const db = getDb();
  const { count } = await db.enrollmentToken.updateMany({
    where: { id, usedAt: null, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  if (count === 1) return true;
  const row = await db.enrollmentToken.findUnique({ where: { id }, select: { usedAt: true } });
  return row !== null && row.usedAt === null;
}

export type ConsumeResult =
  | { ok: true; host: HostView; reinstalled: boolean }
  /** Unknown, used, revoked or expired token. */
  | { ok: false; reason: 'token' }
  /** The host UUID is enrolled already and no admin allowed its re-install; the token stays unused. */
  | { ok: false; reason: 'enrolled'; hostId: string; hostName: string };

/**
 * Atomically use the token and register the host in the token's cluster.
 * Pass the new agent credential's hash in `host.credentialHash`. Nothing changes unless the
 * result is ok; a re-install grant is spent by the re-enrollment it allowed.
 */
export async function consume(token: string, host: Omit<HostConnectInput, 'clusterId'>): Promise<ConsumeResult> {
  const tokenHash = hashToken(token);
  return mapDbErrors(() =>
    exclusive('enrollment', async (tx): Promise<ConsumeResult> => {
      const now = new Date();
      const row = await tx.enrollmentToken.findFirst({
        where: { tokenHash, usedAt: null, revokedAt: null, expiresAt: { gt: now } },
        select: { id: true, clusterId: true },
      });
      if (!row) return { ok: false, reason: 'token' };
      const existing = await tx.host.findUnique({
        where: { libvirtHostUuid: host.libvirtHostUuid },
        select: { id: true, name: true, reinstallAllowedUntil: true },
      });
      const reinstalled = existing !== null;
      if (existing && !(existing.reinstallAllowedUntil && existing.reinstallAllowedUntil > now)) {
        return { ok: false, reason: 'enrolled', hostId: existing.id, hostName: existing.name };
      }
      const claimed = await tx.enrollmentToken.updateMany({
        where: { id: row.id, usedAt: null, revokedAt: null },
        data: { usedAt: now },
      });
      if (claimed.count !== 1) return { ok: false, reason: 'token' };
      const view = await upsertHostOnConnect(tx, { ...host, clusterId: row.clusterId });
      if (existing) {
        await tx.host.update({
          where: { id: existing.id },
          data: { reinstallAllowedUntil: null },
          select: { id: true },
        });
      }
      await tx.enrollmentToken.update({ where: { id: row.id }, data: { hostId: view.id }, select: { id: true } });
      return { ok: true, host: view, reinstalled };
    }),
  );
}

/**
 * An admin allows the host to be enrolled again (re-installed) until `until`; null withdraws the
 * grant. @throws DbNotFoundError
 */
export async function setReinstallAllowed(hostId: string, until: Date | null): Promise<void> {
  await mapDbErrors(() =>
    getDb().host.update({ where: { id: hostId }, data: { reinstallAllowedUntil: until }, select: { id: true } }),
  );
}

/** Hosts with a re-install grant still open. */
export async function pendingReinstalls(): Promise<{ hostId: string; hostName: string; until: Date }[]> {
  const rows = await getDb().host.findMany({
    where: { reinstallAllowedUntil: { gt: new Date() } },
    select: { id: true, name: true, reinstallAllowedUntil: true },
    orderBy: { name: 'asc' },
  });
  return rows.flatMap((r) =>
    r.reinstallAllowedUntil ? [{ hostId: r.id, hostName: r.name, until: r.reinstallAllowedUntil }] : [],
  );
}
