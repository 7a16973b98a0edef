/**
 * Console sessions in the event log: who opened which VM's console (VNC or serial), from where,
 * when, and how long it stayed open. One event when the relay is joined, one when it ends.
 */
import { type ConsoleKind, events } from '@vireo/db';
import type { UserView } from '../views.ts';
import { publish } from './bus.ts';
import type { VmRecord } from './vm-access.ts';
import { toEventView } from './views.ts';

const LABEL: Record<ConsoleKind, string> = { vnc: 'VNC console', serial: 'Serial console' };

export interface ConsoleSession {
  vm: VmRecord;
  user: UserView;
  kind: ConsoleKind;
  address: string;
}

/** "1 h 2 min", "3 min 4 s", "5 s". */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${s % 60} s`;
  return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
}

async function record(c: ConsoleSession, kind: string, message: string): Promise<void> {
  const event = await events.add({
    severity: 'info',
    kind,
    message,
    vmId: c.vm.id,
    hostId: c.vm.hostId,
    userId: c.user.id,
  });
  publish({ kind: 'event', event: toEventView(event) });
}

/** Records the opening; returns the function that records the end (call it once). */
export async function auditConsoleOpened(c: ConsoleSession): Promise<(why: string) => void> {
  const opened = Date.now();
  await record(
    c,
    'console.opened',
    `${LABEL[c.kind]} of VM ${c.vm.name} opened by ${c.user.username} from ${c.address}.`,
  );
  let ended = false;
  return (why) => {
    if (ended) return;
    ended = true;
    const message = `${LABEL[c.kind]} of VM ${c.vm.name} opened by ${c.user.username} closed after ${formatDuration(Date.now() - opened)} (${why}).`;
    record(c, 'console.closed', message).catch((err) =>
      console.error('[console] could not record the end of a console session:', err),
    );
  };
}
