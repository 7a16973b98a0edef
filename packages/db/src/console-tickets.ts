// Console tickets, where every manager sees them: the browser's WebSocket may reach a manager
// other than the one that issued the ticket. Stored by hash; redeemed once, in one statement.
import { getDb } from './client.ts';

export type ConsoleKind = 'vnc' | 'serial';
export type ConsoleTicketView = { userId: string; vmId: string; sessionId: string; expiresAt: Date; kind: ConsoleKind };

export async function create(t: ConsoleTicketView & { hash: string }): Promise<void> {
  const now = new Date();
  // Expired tickets are swept on issue: they are few (seconds long) and useless once expired.
  await getDb().consoleTicket.deleteMany({ where: { expiresAt: { lt: now } } });
  await getDb().consoleTicket.create({
    data: {
      id: t.hash,
      userId: t.userId,
      vmId: t.vmId,
      sessionId: t.sessionId,
      expiresAt: t.expiresAt,
      kind: t.kind,
    },
    select: { id: true },
  });
}

/** Marks the ticket used if it is unused and unexpired; returns it, or null. Never twice. */
export async function consume(hash: string): Promise<ConsoleTicketView | null> {
  const now = new Date();
  const { count } = await getDb().consoleTicket.updateMany({
    where: { id: hash, usedAt: null, expiresAt: { gt: now } },
    data: { usedAt: now },
  });
  if (count === 0) return null;
  const row = await getDb().consoleTicket.findUnique({
    where: { id: hash },
    select: { userId: true, vmId: true, sessionId: true, expiresAt: true, kind: true },
  });
  return row && { ...row, kind: row.kind === 'serial' ? 'serial' : 'vnc' };
}
