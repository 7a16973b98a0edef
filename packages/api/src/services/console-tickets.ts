/**
 * Console tickets: short-lived, single-use, bound to user, VM and session. Held in memory: a
 * ticket lives seconds, and a manager restart rightly voids them.
 */
import { createHash, randomBytes } from 'node:crypto';
import { BROWSER_CONSOLE_WS_PATH, VireoError } from '@vireo/protocol';
import { managerEnv } from '../env.ts';
import type { UserView } from '../views.ts';
import type { VmRecord } from './vm-access.ts';

interface Ticket {
  userId: string;
  vmId: string;
  sessionId: string;
  expiresAt: number;
}

const tickets = new Map<string, Ticket>();

const hash = (ticket: string) => createHash('sha256').update(ticket).digest('hex');

function sweep(now: number): void {
  for (const [key, t] of tickets) if (t.expiresAt <= now) tickets.delete(key);
}

export function issueConsoleTicket(
  vm: VmRecord,
  user: UserView,
  sessionId: string,
): { ticket: string; path: string; expiresInS: number } {
  if (vm.state !== 'running' && vm.state !== 'paused') {
    throw new VireoError('INVALID_STATE', `VM ${vm.name} is ${vm.state}; start it to open its console.`, {
      object: 'vm',
    });
  }
  const now = Date.now();
  sweep(now);
  const ttl = managerEnv().VIREO_CONSOLE_TICKET_TTL_S;
  const ticket = randomBytes(24).toString('base64url');
  tickets.set(hash(ticket), { userId: user.id, vmId: vm.id, sessionId, expiresAt: now + ttl * 1000 });
  return { ticket, path: BROWSER_CONSOLE_WS_PATH, expiresInS: ttl };
}

/** Takes the ticket (it can never be used again) and returns it if still valid. */
export function consumeConsoleTicket(ticket: string): Ticket | null {
  const key = hash(ticket);
  const found = tickets.get(key);
  tickets.delete(key);
  if (!found || found.expiresAt <= Date.now()) return null;
  return found;
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

export function closeSessionConnections(sessionId: string): void {
  for (const close of openConsoles.get(sessionId) ?? []) close();
  openConsoles.delete(sessionId);
}
