/**
 * The VMs that requests are working on right now. The full state lists them so the manager does
 * not conclude from a domain's absence that a create never happened while it is still running.
 */
import type { ManagerMessage } from '@vireo/protocol';

const running = new Map<string, number>();

/** The VM a request is about, read leniently (params are validated later by the handler). */
function vmOf(msg: ManagerMessage): string | null {
  const p = msg.params as { uuid?: unknown; spec?: { uuid?: unknown } } | null;
  const uuid = p?.uuid ?? p?.spec?.uuid;
  return typeof uuid === 'string' && /^[0-9a-f-]{36}$/i.test(uuid) ? uuid.toLowerCase() : null;
}

export async function trackInFlight<T>(msg: ManagerMessage, work: () => Promise<T>): Promise<T> {
  const uuid = msg.method === 'console.open' ? null : vmOf(msg);
  if (uuid) running.set(uuid, (running.get(uuid) ?? 0) + 1);
  try {
    return await work();
  } finally {
    if (uuid) {
      const n = (running.get(uuid) ?? 1) - 1;
      if (n > 0) running.set(uuid, n);
      else running.delete(uuid);
    }
  }
}

export function inFlightVms(): string[] {
  return [...running.keys()];
}
