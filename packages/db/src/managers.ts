// Running manager processes. Several managers share one database; each keeps its row fresh
// (heartbeat), and a row gone stale belongs to a manager that died: another manager then takes
// over what it left (hosts it held, tasks it ran, locks it took). See docs/architecture.md.
import { getDb } from './client.ts';

export type ManagerView = { id: string; internalUrl: string; hostname: string; heartbeatAt: Date };

const select = { id: true, internalUrl: true, hostname: true, heartbeatAt: true } as const;

export async function register(m: { id: string; internalUrl: string; hostname: string }): Promise<void> {
  const now = new Date();
  await getDb().manager.upsert({
    where: { id: m.id },
    create: { ...m, startedAt: now, heartbeatAt: now },
    update: { internalUrl: m.internalUrl, hostname: m.hostname, startedAt: now, heartbeatAt: now },
  });
}

/** False when the row is gone: another manager declared this one dead and took over. */
export async function heartbeat(id: string): Promise<boolean> {
  const { count } = await getDb().manager.updateMany({ where: { id }, data: { heartbeatAt: new Date() } });
  return count > 0;
}

export async function byId(id: string): Promise<ManagerView | null> {
  return getDb().manager.findUnique({ where: { id }, select });
}

/** Managers whose heartbeat is at or after `freshSince`, oldest start first. */
export async function live(freshSince: Date): Promise<ManagerView[]> {
  return getDb().manager.findMany({
    where: { heartbeatAt: { gte: freshSince } },
    select,
    orderBy: { startedAt: 'asc' },
  });
}

export async function stale(freshSince: Date): Promise<ManagerView[]> {
  return getDb().manager.findMany({ where: { heartbeatAt: { lt: freshSince } }, select });
}

/**
 * Deletes a dead manager's row: its VM locks go with it (cascade) and its hosts' leases are
 * cleared. Conditional on the row still being stale, so a manager that came back is kept.
 */
export async function removeIfStale(id: string, freshSince: Date): Promise<boolean> {
  const { count } = await getDb().manager.deleteMany({ where: { id, heartbeatAt: { lt: freshSince } } });
  return count > 0;
}

/** A manager stopping cleanly: its row goes stale at once, so another takes over without waiting. */
export async function markStopped(id: string): Promise<void> {
  await getDb().manager.updateMany({ where: { id }, data: { heartbeatAt: new Date(0) } });
}
