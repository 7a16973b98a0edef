/**
 * Several managers, one database. Each manager has a row it keeps fresh (heartbeat); it holds
 * the leases of the hosts whose agents are connected to it (Host.managerId); the tasks it runs
 * and the VM locks it takes carry its id. When a manager's heartbeat goes stale, any other
 * manager takes over what it left: its hosts go offline (unless their agents already reconnected
 * elsewhere, which moves the lease at once), its running tasks are failed and their VMs re-read
 * from their hosts, its locks go. A manager starting up only takes over its own previous run and
 * dead managers: hosts and tasks of live managers are never touched.
 */
import { hostname } from 'node:os';
import { events, hosts, managers, tasks, vmLocks, vms } from '@vireo/db';
import { managerEnv } from '../env.ts';
import { connections } from './agent-registry.ts';
import { publishHost, publishTask } from './views.ts';

export const MANAGER_HEARTBEAT_MS = 3000;
/** A manager silent this long is dead: five missed heartbeats, so a busy event loop is not. */
export const MANAGER_STALE_MS = 15_000;

export function selfId(): string {
  const env = managerEnv();
  return env.VIREO_MANAGER_ID ?? `${hostname()}:${env.VIREO_PORT}`;
}

export function selfUrl(): string {
  const env = managerEnv();
  return env.VIREO_INTERNAL_URL ?? `http://127.0.0.1:${env.VIREO_PORT}`;
}

const INTERRUPTED_TASK =
  'Interrupted: the manager running it stopped. The VM state was re-read from its host; check it and retry if needed.';

/**
 * Takes over what a stopped manager left: VMs caught mid-create/delete become unknown (their
 * host's next full state settles them), its unfinished tasks fail, its hosts go offline.
 * `heldHosts`: the hosts it held, read before its row (and so the leases) went.
 */
async function takeOver(deadId: string | null, heldHosts: readonly string[]): Promise<number> {
  const left = await tasks.listUnfinished({ managerIds: [deadId] });
  const others = await tasks.listUnfinished();
  const leftIds = new Set(left.map((t) => t.id));
  const spared = others.filter((t) => !leftIds.has(t.id) && t.vmId).map((t) => t.vmId as string);
  await vms.markInterrupted(spared);
  for (const task of left) {
    if (await tasks.fail(task.id, { code: 'INTERNAL', message: INTERRUPTED_TASK })) await publishTask(task.id);
  }
  const offline = await hosts.markOfflineHeldBy([deadId, null]);
  for (const hostId of offline) {
    if (!heldHosts.includes(hostId) && deadId !== null) continue;
    await events.add({
      severity: 'warning',
      kind: 'host.offline',
      message: `Host went offline: the manager holding it (${deadId ?? 'unknown'}) stopped.`,
      hostId,
    });
    await publishHost(hostId);
  }
  return left.length;
}

/** Dead managers: exactly one live manager wins each takeover (the conditional row delete). */
async function sweepDeadManagers(): Promise<number> {
  const freshSince = new Date(Date.now() - MANAGER_STALE_MS);
  let failed = 0;
  for (const dead of await managers.stale(freshSince)) {
    if (dead.id === selfId()) continue;
    const held = await hosts.heldBy(dead.id);
    if (!(await managers.removeIfStale(dead.id, freshSince))) continue;
    console.warn(`[cluster] manager ${dead.id} stopped answering; taking over what it left`);
    failed += await takeOver(dead.id, held);
  }
  return failed;
}

/**
 * Leases follow connections: a host whose agent is connected here is leased here; a connection
 * whose host another manager now holds (the agent reconnected there) is closed.
 */
async function reassertLeases(): Promise<void> {
  const held = new Set(await hosts.heldBy(selfId()));
  for (const [hostId, conn] of connections) {
    if (held.has(hostId)) continue;
    const holder = await hosts.leaseHolder(hostId);
    if (holder) conn.close('the host is now held by another manager');
    else await hosts.claimLease(hostId, selfId());
  }
}

let timer: NodeJS.Timeout | undefined;

/**
 * Start-up: take over this manager's own previous run (same id) and any dead manager, register,
 * then heartbeat. Returns how many tasks were failed.
 */
export async function joinCluster(): Promise<{ tasksFailed: number }> {
  const me = selfId();
  const previousHosts = await hosts.heldBy(me);
  await vmLocks.releaseAllOf(me);
  let tasksFailed = await takeOver(me, previousHosts);
  await managers.register({ id: me, internalUrl: selfUrl(), hostname: hostname() });
  tasksFailed += await sweepDeadManagers();
  await refreshLeader();
  timer = setInterval(() => {
    beat().catch((err) => console.error('[cluster] heartbeat failed:', err));
  }, MANAGER_HEARTBEAT_MS);
  timer.unref();
  return { tasksFailed };
}

/** The longest-running live manager, as of the last heartbeat: it judges what nobody holds. */
let leader = true;
export function isClusterLeader(): boolean {
  return leader;
}

async function refreshLeader(): Promise<void> {
  const live = await managers.live(new Date(Date.now() - MANAGER_STALE_MS));
  leader = (live[0]?.id ?? selfId()) === selfId();
}

let beating = false;
async function beat(): Promise<void> {
  if (beating) return; // a slow database: never two rounds at once
  beating = true;
  try {
    if (!(await managers.heartbeat(selfId()))) {
      // Declared dead by another manager (a long pause): come back; our tasks were failed.
      console.warn('[cluster] this manager was declared dead by another; registering again');
      await managers.register({ id: selfId(), internalUrl: selfUrl(), hostname: hostname() });
    }
    await reassertLeases();
    await sweepDeadManagers();
    await refreshLeader();
  } finally {
    beating = false;
  }
}

/** A clean stop: the others take over at their next heartbeat instead of after MANAGER_STALE_MS. */
export async function leaveCluster(): Promise<void> {
  if (timer) clearInterval(timer);
  timer = undefined;
  await managers.markStopped(selfId());
}

/** This manager's id and the live managers (id, internal URL, last heartbeat), for admins. */
export async function listManagers(): Promise<{
  managerId: string;
  managers: { id: string; hostname: string; heartbeatAt: string }[];
}> {
  const live = await managers.live(new Date(Date.now() - MANAGER_STALE_MS));
  return {
    managerId: selfId(),
    managers: live.map((m) => ({ id: m.id, hostname: m.hostname, heartbeatAt: m.heartbeatAt.toISOString() })),
  };
}
