// Every domain each host last reported (Vireo's or not), kept in the database so that any
// manager can check name clashes, count foreign domains' memory for placement, and see which
// hosts have a domain before deleting it, whichever manager holds each host.
import { getDb } from './client.ts';

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

/** A domain event: the domain as read after it, or null once it is undefined. */
export async function set(hostId: string, uuid: string, domain: HostDomainInput | null): Promise<void> {
  const db = getDb();
  if (!domain) {
    await db.hostDomain.deleteMany({ where: { hostId, uuid } });
    return;
  }
  const data = row(hostId, domain);
  await db.hostDomain.upsert({ where: { hostId_uuid: { hostId, uuid } }, create: data, update: data });
}

export async function onHost(hostId: string): Promise<HostDomainView[]> {
  return getDb().hostDomain.findMany({ where: { hostId }, select });
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
