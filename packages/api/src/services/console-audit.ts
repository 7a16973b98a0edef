/**
 * Console sessions, recorded twice over: in the event log (as before issue 10: "console.opened" /
 * "console.closed", shown on the VM's Activity tab) and in the audit log, which is what an
 * auditor searches: `console.open` when the relay is joined (so an open session is visible) and
 * `console.session` when it ends, with its duration and how it ended. Both name the VM as the
 * object, the user (none for a share link's viewer: the link's id and maker are in the entry)
 * and the client's address as the audit log takes it (client-info.ts).
 */
import type { ConsoleKind, ConsoleShareLinkView } from '@vireo/db';
import type { UserView } from '../views.ts';
import { recordAudit } from './audit/record.ts';
import type { VmRecord } from './vm-access.ts';
import { recordEvent } from './views.ts';

const LABEL: Record<ConsoleKind, string> = { vnc: 'VNC console', serial: 'Serial console' };

/** How a session ended, in the audit entry's input (searchable words, not prose). */
export type ConsoleEnd = 'user' | 'vm-stopped' | 'revoked' | 'expired' | 'logged-out' | 'taken-over' | 'error';

export interface ConsoleSession {
  vm: VmRecord;
  /** The signed-in user; null for a share link's anonymous viewer. */
  user: UserView | null;
  kind: ConsoleKind;
  address: string;
  /** Set when the view was opened through a share link (view-only). */
  share?: ConsoleShareLinkView | null;
}

/** "1 h 2 min", "3 min 4 s", "5 s". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

/** "by alice" or "through share link X (made by alice)". */
const who = (c: ConsoleSession) =>
  c.share ? `through view-only share link ${c.share.id} (made by ${c.share.createdByName})` : `by ${c.user?.username}`;

async function event(c: ConsoleSession, kind: string, message: string): Promise<void> {
  await recordEvent({
    severity: 'info',
    kind,
    message,
    vmId: c.vm.id,
    hostId: c.vm.hostId,
    userId: c.user?.id ?? null,
  });
}

function audit(
  c: ConsoleSession,
  action: 'console.open' | 'console.session',
  fields: { message: string; durationMs: number; ok: boolean; startedAt: Date; endedBy?: ConsoleEnd; why?: string },
): Promise<void> {
  return recordAudit({
    userId: c.user?.id ?? null,
    username: c.user?.username ?? null,
    authKind: c.user ? 'session' : null,
    tokenId: null,
    action,
    objectType: 'vm',
    objectId: c.vm.id,
    objectName: c.vm.name,
    address: c.address,
    ok: fields.ok,
    errorCode: fields.ok ? null : 'CONSOLE_ERROR',
    message: fields.message,
    durationMs: fields.durationMs,
    input: JSON.stringify({
      kind: c.kind,
      viewOnly: Boolean(c.share),
      shareLinkId: c.share?.id ?? null,
      shareLinkBy: c.share?.createdByName ?? null,
      startedAt: fields.startedAt.toISOString(),
      ...(fields.endedBy ? { endedAt: new Date().toISOString(), endedBy: fields.endedBy, why: fields.why } : {}),
    }),
  });
}

/** Records the opening; returns the function that records the end (call it once; later calls are ignored). */
export async function auditConsoleOpened(c: ConsoleSession): Promise<(end: ConsoleEnd, why: string) => void> {
  const startedAt = new Date();
  const label = c.share ? `View-only ${LABEL[c.kind]}` : LABEL[c.kind];
  const opened = `${label} of VM ${c.vm.name} opened ${who(c)} from ${c.address}`;
  await event(c, 'console.opened', `${opened}.`);
  await audit(c, 'console.open', { message: `${opened}.`, durationMs: 0, ok: true, startedAt });
  let ended = false;
  return (end, why) => {
    if (ended) return;
    ended = true;
    const durationMs = Date.now() - startedAt.getTime();
    const message = `${opened}, closed after ${formatDuration(durationMs)} (${why}).`;
    Promise.all([
      event(c, 'console.closed', message),
      audit(c, 'console.session', { message, durationMs, ok: end !== 'error', startedAt, endedBy: end, why }),
    ]).catch((err) => console.error('[console] could not record the end of a console session:', err));
  };
}
