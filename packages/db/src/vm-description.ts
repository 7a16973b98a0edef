/** A VM's free-text description (the Edit dialog; the domain XML keeps a copy). */
import { getDb } from './client.ts';
import { mapDbErrors } from './errors.ts';

/** The description, or null when there is no such VM. */
export async function get(id: string): Promise<string | null> {
  const row = await getDb().vm.findUnique({ where: { id }, select: { description: true } });
  return row?.description ?? null;
}

/** @throws DbNotFoundError */
export async function set(id: string, description: string): Promise<void> {
  await mapDbErrors(() => getDb().vm.update({ where: { id }, data: { description }, select: { id: true } }));
}
