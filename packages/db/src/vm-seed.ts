/**
 * Many VM rows at once, for tests and benchmarks of the VM list at scale (issue 11). The rows
 * sit on a host row of their own that no agent can ever claim (no libvirt UUID, no credential),
 * so no full state reconciles them and placement never picks it (it stays offline). They are
 * records only: no libvirt domain, no disk.
 */
import { randomUUID } from 'node:crypto';
import { getDb } from './client.ts';
import type { VmState } from './enums.ts';
import { insertMany, type VmCreateInput } from './vms.ts';

export type VmSeed = { hostId: string; count: number };

const BATCH = 500;
const KINDS = ['web', 'DB', 'app'] as const;

/** The state of seeded VM i: 60 % shutoff, 30 % running, 10 % paused. */
export function seededState(i: number): VmState {
  const r = i % 10;
  return r < 6 ? 'shutoff' : r < 9 ? 'running' : 'paused';
}

/** The name of seeded VM i: `<prefix>-web-00000`, `<prefix>-DB-00001`, `<prefix>-app-00002`, ... */
export function seededName(prefix: string, i: number): string {
  return `${prefix}-${KINDS[i % KINDS.length]}-${String(i).padStart(5, '0')}`;
}

/**
 * Inserts `count` VMs named by seededName on a new offline host row `<prefix>-host` in the
 * given cluster. Owners take turns: ownerIds[i % ownerIds.length].
 */
export async function seedVms(opts: {
  prefix: string;
  count: number;
  clusterId: string;
  templateId: string;
  ownerIds: string[];
}): Promise<VmSeed> {
  const host = await getDb().host.create({
    data: {
      name: `${opts.prefix}-host`,
      hostname: `${opts.prefix}.invalid`,
      clusterId: opts.clusterId,
      status: 'offline',
    },
    select: { id: true },
  });
  let count = 0;
  for (let start = 0; start < opts.count; start += BATCH) {
    const batch: VmCreateInput[] = [];
    for (let i = start; i < Math.min(opts.count, start + BATCH); i++) {
      batch.push({
        uuid: randomUUID(),
        name: seededName(opts.prefix, i),
        hostId: host.id,
        templateId: opts.templateId,
        ownerId: opts.ownerIds[i % opts.ownerIds.length] as string,
        vcpus: 1 + (i % 8),
        memoryMiB: 64 * (1 + ((i * 37) % 16)),
        state: seededState(i),
      });
    }
    count += await insertMany(batch);
  }
  return { hostId: host.id, count };
}

/** Removes a seed: its VMs, then its host row. Returns how many VMs went. */
export async function removeSeed(hostId: string): Promise<number> {
  const db = getDb();
  const { count } = await db.vm.deleteMany({ where: { hostId } });
  await db.host.deleteMany({ where: { id: hostId } });
  return count;
}

/**
 * Spreads a seed's VMs over projects in blocks (the first count/n in the first project, and so
 * on), with one statement per project: the member-list benchmark's 100 projects (issue 10).
 */
export async function assignProjects(hostId: string, projectIds: string[]): Promise<void> {
  const db = getDb();
  const ids = (await db.vm.findMany({ where: { hostId }, select: { id: true }, orderBy: { id: 'asc' } })).map(
    (r) => r.id,
  );
  const per = Math.ceil(ids.length / projectIds.length);
  for (const [n, projectId] of projectIds.entries()) {
    const block = ids.slice(n * per, (n + 1) * per);
    for (let i = 0; i < block.length; i += BATCH) {
      await db.vm.updateMany({ where: { id: { in: block.slice(i, i + BATCH) } }, data: { projectId } });
    }
  }
}
