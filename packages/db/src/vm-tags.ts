// VM tags: one row per (VM, tag). Names are validated by the API (tagNameSchema) before they
// arrive here.
import { type VmVisibility, vmVisibilityWhere } from './vm-visibility.ts';
import { getDb } from './client.ts';

/** Tags these VMs (those that already have it stay as they are). Returns how many were added. */
export async function add(vmIds: readonly string[], tag: string): Promise<number> {
  const db = getDb();
  const have = await db.vmTag.findMany({ where: { tag, vmId: { in: [...vmIds] } }, select: { vmId: true } });
  const had = new Set(have.map((r) => r.vmId));
  let added = 0;
  for (const vmId of vmIds) {
    if (had.has(vmId)) continue;
    // upsert, not create: a second manager may tag the same VM at the same moment.
    await db.vmTag.upsert({ where: { vmId_tag: { vmId, tag } }, create: { vmId, tag }, update: {} });
    added++;
  }
  return added;
}

/** Removes the tag from these VMs. Returns how many had it. */
export async function remove(vmIds: readonly string[], tag: string): Promise<number> {
  const { count } = await getDb().vmTag.deleteMany({ where: { tag, vmId: { in: [...vmIds] } } });
  return count;
}

/** Every tag in use (on the VMs of `ownerId`, if given) with how many VMs have it, by name. */
export async function inUse(visibleTo?: VmVisibility): Promise<{ tag: string; count: number }[]> {
  const groups = await getDb().vmTag.groupBy({
    by: ['tag'],
    where: visibleTo && !visibleTo.all ? { vm: vmVisibilityWhere(visibleTo) } : undefined,
    _count: { _all: true },
    orderBy: { tag: 'asc' },
  });
  return groups.map((g) => ({ tag: g.tag, count: g._count._all }));
}
