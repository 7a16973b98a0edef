// Every domain each host last reported (Vireo's or not), kept in the database so that any
// manager can check name clashes, count foreign domains' memory for placement, and see which
// hosts have a domain before deleting it, whichever manager holds each host.
import { getDb } from './client.ts';
import { Prisma } from './generated/client.ts';

export type HostDomainInput = {
  uuid: string;
  name: string;
  state: string;
  vcpus: number;
  memoryMiB: number;
  maxMemoryMiB?: number | undefined;
};
export type HostDomainView = Required<HostDomainInput> & { hostId: string };

const select = {
  hostId: true,
  uuid: true,
  name: true,
  state: true,
  vcpus: true,
  memoryMiB: true,
  maxMemoryMiB: true,
} as const;

const row = (hostId: string, d: HostDomainInput) => ({
  hostId,
  uuid: d.uuid,
  name: d.name,
  state: d.state,
  vcpus: d.vcpus,
  memoryMiB: d.memoryMiB,
  maxMemoryMiB: d.maxMemoryMiB ?? d.memoryMiB,
});

/** A host's full state: its list is replaced in one transaction (bulk insert). */
export async function replaceForHost(hostId: string, domains: readonly HostDomainInput[]): Promise<void> {
  const db = getDb();
  await db.$transaction([
    db.hostDomain.deleteMany({ where: { hostId } }),
    db.hostDomain.createMany({ data: domains.map((d) => row(hostId, d)) }),
  ]);
}

/**
 * A run of domain events from one host, in one delete and one multi-row upsert (the last report
 * of each domain wins). Raw SQL: `INSERT … ON CONFLICT … DO UPDATE` is the same in SQLite and
 * PostgreSQL, and an event storm would otherwise cost one round trip per event.
 */
export async function setMany(
  hostId: string,
  changes: readonly { uuid: string; domain: HostDomainInput | null }[],
): Promise<void> {
  const last = new Map(changes.map((c) => [c.uuid, c.domain]));
  const gone = [...last].filter(([, d]) => d === null).map(([uuid]) => uuid);
  const present = [...last.values()].filter((d): d is HostDomainInput => d !== null);
  const db = getDb();
  if (gone.length > 0) await db.hostDomain.deleteMany({ where: { hostId, uuid: { in: gone } } });
  if (present.length === 0) return;
  const now = new Date();
  const values = present.map((d) => {
    const r = row(hostId, d);
    return Prisma.sql`(${r.hostId}, ${r.uuid}, ${r.name}, ${r.state}, ${r.vcpus}, ${r.memoryMiB}, ${r.maxMemoryMiB}, ${now})`;
  });
  await db.$executeRaw`INSERT INTO "HostDomain" ("hostId", "uuid", "name", "state", "vcpus", "memoryMiB", "maxMemoryMiB", "updatedAt")
    VALUES ${Prisma.join(values)}
    ON CONFLICT ("hostId", "uuid") DO UPDATE SET
      "name" = excluded."name", "state" = excluded."state", "vcpus" = excluded."vcpus",
      "memoryMiB" = excluded."memoryMiB", "maxMemoryMiB" = excluded."maxMemoryMiB", "updatedAt" = excluded."updatedAt"`;
}

export async function onHost(hostId: string): Promise<HostDomainView[]> {
  return getDb().hostDomain.findMany({ where: { hostId }, select });
}

/** Every domain these hosts last reported, in one query (placement over many hosts). */
export async function onHosts(hostIds: readonly string[]): Promise<HostDomainView[]> {
  if (hostIds.length === 0) return [];
  return getDb().hostDomain.findMany({ where: { hostId: { in: [...hostIds] } }, select });
}

/** Which of these domain uuids any host (online or not) last reported, in one query. */
export async function reportedAmong(uuids: readonly string[]): Promise<Set<string>> {
  if (uuids.length === 0) return new Set();
  const rows = await getDb().hostDomain.findMany({
    where: { uuid: { in: [...uuids] } },
    select: { uuid: true },
    distinct: ['uuid'],
  });
  return new Set(rows.map((r) => r.uuid));
}

/** Hosts whose last report has this domain, online or not (stale knowledge errs on the safe side). */
export async function hostsWith(uuid: string): Promise<string[]> {
  const rows = await getDb().hostDomain.findMany({ where: { uuid }, select: { hostId: true } });
  return rows.map((r) => r.hostId);
}

/** Hosts (online ones only) having a domain with this name. */
export async function nameInUseOnline(name: string): Promise<boolean> {
  return (await getDb().hostDomain.count({ where: { name, host: { status: 'online' } } })) > 0;
}
