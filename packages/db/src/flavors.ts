// Flavors: the sizes the self-service portal offers (issue 10).
import { getDb } from './client.ts';
import { mapDbErrors } from './errors.ts';

export type FlavorView = {
  id: string;
  name: string;
  description: string;
  vcpus: number;
  memoryMiB: number;
  sortOrder: number;
};

const select = { id: true, name: true, description: true, vcpus: true, memoryMiB: true, sortOrder: true } as const;

export type FlavorInput = Omit<FlavorView, 'id'>;

/** Smallest first (by sort order, then size). */
export async function list(): Promise<FlavorView[]> {
  return getDb().flavor.findMany({
    select,
    orderBy: [{ sortOrder: 'asc' }, { vcpus: 'asc' }, { memoryMiB: 'asc' }, { name: 'asc' }],
  });
}

export async function byId(id: string): Promise<FlavorView | null> {
  return getDb().flavor.findUnique({ where: { id }, select });
}

export async function create(input: FlavorInput): Promise<FlavorView> {
  return mapDbErrors(() => getDb().flavor.create({ data: input, select }));
}

export async function update(id: string, input: Partial<FlavorInput>): Promise<FlavorView> {
  return mapDbErrors(() => getDb().flavor.update({ where: { id }, data: input, select }));
}

/** False when it was already gone. VMs keep their sizes: they never pointed at a flavor. */
export async function remove(id: string): Promise<boolean> {
  const { count } = await getDb().flavor.deleteMany({ where: { id } });
  return count > 0;
}

/** Creates each flavor whose name is not there yet; existing ones are left as admins set them. */
export async function ensure(defaults: FlavorInput[]): Promise<number> {
  let made = 0;
  for (const f of defaults) {
    const existing = await getDb().flavor.findUnique({ where: { name: f.name }, select: { id: true } });
    if (existing) continue;
    await mapDbErrors(() => getDb().flavor.create({ data: f, select }));
    made++;
  }
  return made;
}
