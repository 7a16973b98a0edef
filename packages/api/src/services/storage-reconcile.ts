/**
 * No orphan files: an agent's full state lists the Vireo-named files in its VM storage dir
 * (`<uuid>.qcow2`, `<uuid>.serial.log`); here the manager picks those that belong to no VM and
 * asks the agent to remove them. The agent checks again before removing (still not defined on
 * its host, no operation of its own running on that VM, inside its dir).
 *
 * The VM storage dir may be shared by several hosts (the lab's is), so a file listed by one host
 * may belong to a VM of another: "belongs to no VM" means no VM row at all, on any host, and no
 * domain of that uuid on any host. So nothing is swept until every enrolled host is connected
 * and has sent its full state to this manager: a domain Vireo has no row for (say, after the
 * database was restored from an older backup) keeps its disk even if its host reports last.
 * A create in flight is safe: its VM row is written before its agent is asked to make any file,
 * and the rows are read here after the agent listed its files.
 */
import type { StateMessage, VmFile } from '@vireo/protocol';
import { events, hostDomains, hosts, vms } from '@vireo/db';
import type { AgentConnection } from './agent-connection.ts';
import { connections } from './agent-registry.ts';

/** Domain uuids per host, from each host's latest full state. */
const domainsByHost = new Map<string, Set<string>>();
/**
 * File listings not swept yet, per host. A listing stays valid while it waits: a file it names
 * existed when it was taken, so a create making that file had its VM row by then.
 */
const pending = new Map<string, VmFile[]>();

/** Called with every accepted full state; runs in the background and never throws. */
export function sweepOrphanFiles(conn: AgentConnection, msg: StateMessage): void {
  domainsByHost.set(conn.hostId, new Set(msg.domains.map((d) => d.uuid)));
  if (msg.vmFiles?.length) pending.set(conn.hostId, msg.vmFiles);
  else pending.delete(conn.hostId);
  // Not awaited: the agent's reply arrives on the message queue this full state is holding.
  void sweepPending().catch((err) => console.error('[storage] orphan file sweep failed:', err));
}

/** A removed host no longer holds anything, and no longer blocks sweeps. */
export function forgetHostStorage(hostId: string): void {
  domainsByHost.delete(hostId);
  pending.delete(hostId);
}

async function sweepPending(): Promise<void> {
  // Every host must have reported: ours through their full state here, the others' held by
  // other managers through being online (their domain lists are in the database).
  const unseen = (await hosts.list()).filter((h) =>
    connections.has(h.id) ? !domainsByHost.has(h.id) : h.status !== 'online',
  );
  if (unseen.length > 0) return; // retried with the next full state of any host
  for (const [hostId, listed] of pending) {
    pending.delete(hostId);
    const conn = connections.get(hostId);
    if (!conn) continue;
    await sweep(conn, listed).catch((err) => console.error(`[agent ${conn.hostName}] orphan file sweep failed:`, err));
  }
}

/** The files whose uuid is neither a VM row nor a domain on any host we know. */
export async function orphanFiles(files: VmFile[]): Promise<VmFile[]> {
  const owned = new Set((await vms.list()).map((vm) => vm.uuid));
  for (const uuids of domainsByHost.values()) for (const uuid of uuids) owned.add(uuid);
  // Domains defined since the last full states arrive as events: the database has them.
  const reported = await hostDomains.reportedAmong(files.map((f) => f.uuid));
  return files.filter((f) => !owned.has(f.uuid) && !reported.has(f.uuid));
}

async function sweep(conn: AgentConnection, listed: VmFile[]): Promise<void> {
  const files = await orphanFiles(listed);
  if (files.length === 0) return;
  const reply = await conn.request('storage.removeOrphans', { files }, { timeoutMs: 60_000 });
  // Only what was asked is believed: a host cannot fill the event log with made-up paths.
  const asked = new Set(files.map((f) => f.path));
  const removed = reply.removed.filter((path) => asked.has(path));
  const kept = reply.kept.filter((k) => asked.has(k.path));
  if (removed.length > 0) {
    await events.add({
      severity: 'info',
      kind: 'storage.orphansRemoved',
      message: `Removed ${removed.length} file(s) that belonged to no VM on host ${conn.hostName}: ${removed.join(', ')}.`,
      hostId: conn.hostId,
    });
  }
  const failed = kept.filter((k) => k.code.startsWith('STORAGE_'));
  if (failed.length > 0) {
    await events.add({
      severity: 'warning',
      kind: 'storage.orphansLeft',
      message: `Host ${conn.hostName} could not remove file(s) that belong to no VM: ${failed.map((f) => `${f.path}: ${f.message}`).join('; ')}.`,
      hostId: conn.hostId,
    });
  }
}
