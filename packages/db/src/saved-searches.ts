// A user's saved VM list filters. `params` is the filter as JSON; the API validates it both ways.
import { getDb } from './client.ts';
import { mapDbErrors } from './errors.ts';

export type SavedSearchRecord = { id: string; userId: string; name: string; params: string; createdAt: Date };

const select = { id: true, userId: true, name: true, params: true, createdAt: true } as const;

export async function listFor(userId: string): Promise<SavedSearchRecord[]> {
  return getDb().savedSearch.findMany({ where: { userId }, select, orderBy: { name: 'asc' } });
}

export async function byId(id: string): Promise<SavedSearchRecord | null> {
  return getDb().savedSearch.findUnique({ where: { id }, select });
}

/** Saves under this name, replacing the user's search of the same name. */
export async function save(userId: string, name: string, params: string): Promise<SavedSearchRecord> {
  return mapDbErrors(() =>
    getDb().savedSearch.upsert({
      where: { userId_name: { userId, name } },
      create: { userId, name, params },
      update: { params },
      select,
    }),
  );
}

/** Returns false if the user has no such search. */
export async function remove(id: string, userId: string): Promise<boolean> {
  const { count } = await getDb().savedSearch.deleteMany({ where: { id, userId } });
  return count > 0;
}
