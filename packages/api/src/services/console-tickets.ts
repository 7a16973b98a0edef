/**
 * Console tickets: short-lived, single-use, bound to user, VM and session. Kept in the database
 * (by hash) because the browser's console WebSocket may reach another manager than the one that
 * issued the ticket.
 */
import { createHash, randomBytes } from 'node:crypto';
import { type ConsoleKind, type ConsoleTicketView, consoleTickets } from '@vireo/db';
import { BROWSER_CONSOLE_WS_PATH, VireoError } from '@vireo/protocol';
import { managerEnv } from '../env.ts';
import type { UserView } from '../views.ts';
import { onControl, publishControl } from './bus.ts';
import type { VmRecord } from './vm-access.ts';

const hash = (ticket: string) => createHash('sha256').update(ticket).digest('hex');

export async function issueConsoleTicket(
  vm: VmRecord,
  user: UserView,
  sessionId: string,
  kind: ConsoleKind = 'vnc',
): Promise<{ ticket: string; path: string; expiresInS: number }> {
  if (vm.state !== 'running' && vm.state !== 'paused') {
    throw new VireoError('INVALID_STATE', `VM ${vm.name} is ${vm.state}; start it to open its console.`, {
      object: 'vm',
    });
  }
  const ttl = managerEnv().VIREO_CONSOLE_TICKET_TTL_S;
  const ticket = randomBytes(24).toString('base64url');
  await consoleTickets.create({
    hash: hash(ticket),
    userId: user.id,
    vmId: vm.id,
    sessionId,
    expiresAt: new Date(Date.now() + ttl * 1000),
    kind,
  });
  return { ticket, path: BROWSER_CONSOLE_WS_PATH, expiresInS: ttl };
}

/** Takes the ticket (it can never be used again, on any manager) and returns it if still valid. */
export async function consumeConsoleTicket(ticket: string): Promise<ConsoleTicketView | null> {
  if (ticket.length === 0 || ticket.length > 128) return null;
  return consoleTickets.consume(hash(ticket));
}

/**
 * Long-lived connections (consoles, live streams) by session, so ending a session (logout,
 * revoked, user disabled) closes them: nothing outlives the session it was opened under.
 */
const openConsoles = new Map<string, Set<() => void>>();

export function trackSessionConnection(sessionId: string, close: () => void): () => void {
  const set = openConsoles.get(sessionId) ?? new Set();
  openConsoles.set(sessionId, set);
  set.add(close);
  return () => {
    set.delete(close);
    if (set.size === 0) openConsoles.delete(sessionId);
  };
}

/** Closes them on every manager (the session's streams may be served by any). */
export function closeSessionConnections(sessionId: string): void {
  publishControl({ type: 'session-ended', sessionId });
}

onControl((message) => {
  if (message.type !== 'session-ended') return;
  for (const close of openConsoles.get(message.sessionId) ?? []) close();
  openConsoles.delete(message.sessionId);
});
