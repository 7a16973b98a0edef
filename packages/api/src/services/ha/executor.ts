/**
 * High availability (issue 9): carries out what `haStep` decided for one cluster (types.ts).
 *
 * - 'host-state': the host's HA state (compare-and-set from the state the snapshot saw, so a
 *   second manager or a late result cannot overwrite a newer one), an 'ha.host-<state>' event,
 *   and the host's HA alert (open while not 'ok').
 * - 'fence': 'fencing', then the fence agent runs in the background (a fence may take a minute;
 *   the monitor's tick goes on); its outcome is 'fenced' or 'fence-failed' with its output.
 * - 'restart': an 'ha.restart' task: the VM's record moves to the target (compare-and-set), the
 *   target's agent defines and starts it from the shared domain XML copy. When the lock manager
 *   refuses (the old host still holds the disks), the record goes back and the VM is "not
 *   restarted" with that reason; later steps retry, at most every RETRY_MS, quietly.
 * - 'not-restarted' / 'alert': an event once per (object, reason) and an open alert.
 *
 * Every event of a recovery carries the failed host's id, so its events read as a timeline:
 * detected → fenced → restarted where and why.
 */
import { type AlertObjectType, alerts, events, haSignals, users, vms } from '@vireo/db';
import { toErrorPayload, VireoError } from '@vireo/protocol';
import { hostAgent } from '../agent-router.ts';
import { announce } from '../alerts-service.ts';
import { startTask } from '../tasks.ts';
import { publishHost, publishVm } from '../views.ts';
import { applyDomain } from '../vm-service.ts';
import { runFenceAgent } from './fence.ts';
import { forgetLeftBehind } from './stale-copies.ts';
import { HA_RESTARTING_REASON, type HaAction, type HaHostState, type HaSnapshot } from './types.ts';

export const HA_RESTART_TASK_KIND = 'ha.restart';
/** A VM whose restart failed is tried again at most this often. */
export const RETRY_MS = 10_000;
const FENCE_TIMEOUT_MS = 90_000;
const RESTART_TIMEOUT_MS = 120_000;

/** Hosts whose fence agent runs in this manager now. */
const fencing = new Set<string>();
/** VMs whose restart runs in this manager now, and when each was last tried. */
const restarting = new Set<string>();
const lastTried = new Map<string, number>();
/** VMs whose last attempt failed: later attempts run without a task of their own, until one works. */
const failedBefore = new Set<string>();
/** (object, reason) already recorded as an event in this run of the manager. */
const recorded = new Set<string>();

function hostName(snapshot: HaSnapshot, hostId: string): string {
  return snapshot.hosts.find((h) => h.id === hostId)?.name ?? hostId;
}

function vmName(snapshot: HaSnapshot, vmId: string): string {
  return snapshot.vms.find((v) => v.id === vmId)?.name ?? vmId;
}

/** Carries out one step's actions. Restarts run in the background. */
export async function executeHaActions(snapshot: HaSnapshot, actions: readonly HaAction[]): Promise<void> {
  const restarts: Extract<HaAction, { kind: 'restart' }>[] = [];
  // States this step already wrote: a 'fence' after a 'host-state' of the same step starts from it.
  const states = new Map(snapshot.hosts.map((h) => [h.id, h.haState as string]));
  for (const action of actions) {
    try {
      switch (action.kind) {
        case 'host-state':
          if (await setHostState(snapshot, states.get(action.hostId), action.hostId, action.state, action.note))
            states.set(action.hostId, action.state);
          break;
        case 'fence':
          await startFence(action.hostId, states.get(action.hostId));
          break;
        case 'restart':
          restarts.push(action);
          break;
        case 'not-restarted':
          await notRestarted(
            action.vmId,
            action.hostId,
            `VM ${vmName(snapshot, action.vmId)} not restarted: ${action.reason}`,
            vmName(snapshot, action.vmId),
          );
          break;
        case 'alert':
          await hostAlert(action.hostId, hostName(snapshot, action.hostId), 'ha.alert', action.message);
          break;
      }
    } catch (err) {
      console.error(`[ha] could not carry out ${action.kind}:`, err);
    }
  }
  const due = restarts.filter((r) => !restarting.has(r.vmId) && Date.now() - (lastTried.get(r.vmId) ?? 0) >= RETRY_MS);
  if (due.length === 0) return;
  for (const r of due) {
    restarting.add(r.vmId);
    lastTried.set(r.vmId, Date.now());
  }
  // One step's restarts are independent of each other (a VM waiting for the one it depends on
  // is only planned once that one runs), so they run side by side, started in priority order.
  for (const r of due) {
    void restartVm(snapshot, r)
      .catch((err) => console.error(`[ha] restart of VM ${r.vmId} failed:`, err))
      .finally(() => restarting.delete(r.vmId));
  }
}

async function setHostState(
  snapshot: HaSnapshot,
  seen: string | undefined,
  hostId: string,
  state: HaHostState,
  note: string,
): Promise<boolean> {
  if (!(await haSignals.setHostState(hostId, state, note, new Date(), seen))) return false;
  const name = hostName(snapshot, hostId);
  // A new state of the host: what was said of it and its VMs may be said again.
  for (const key of recorded) if (key.startsWith(`${hostId}|`)) recorded.delete(key);
  await events.add({
    severity: state === 'ok' ? 'info' : state === 'unreachable' ? 'warning' : 'error',
    kind: `ha.host-${state}`,
    message: `Host ${name}: ${note}`,
    hostId,
  });
  if (state === 'ok') await resolveAlert('host', hostId);
  else await replaceAlert('host', hostId, name, `Host ${name} (HA ${state}): ${note}`);
  await publishHost(hostId);
  return true;
}

async function startFence(hostId: string, seen: string | undefined): Promise<void> {
  if (fencing.has(hostId)) return;
  const host = await haSignals.hostForHa(hostId);
  if (!host) return;
  const name = host.name;
  if (!host.fenceAgent) {
    await fenceDone(host.id, name, 'fence-failed', 'No fence device is configured for this host.');
    return;
  }
  if (
    !(await haSignals.setHostState(
      hostId,
      'fencing',
      `Running fence agent ${host.fenceAgent} (off).`,
      new Date(),
      seen,
    ))
  )
    return;
  fencing.add(hostId);
  await events.add({
    severity: 'warning',
    kind: 'ha.host-fencing',
    message: `Host ${name}: fencing it with ${host.fenceAgent} (power off).`,
    hostId,
  });
  await publishHost(hostId);
  void (async () => {
    try {
      let options: Record<string, string> = {};
      try {
        options = JSON.parse(host.fenceOptions) as Record<string, string>;
      } catch {
        // An unreadable options column fences with none; the agent's output will say what it missed.
      }
      const result = await runFenceAgent(host.fenceAgent, options, 'off', FENCE_TIMEOUT_MS);
      const took = `${(result.durationMs / 1000).toFixed(1)} s`;
      const output = result.output ? `: ${result.output.slice(0, 800)}` : '';
      if (result.ok) await fenceDone(hostId, name, 'fenced', `Fenced by ${host.fenceAgent} in ${took}${output}`);
      else
        await fenceDone(
          hostId,
          name,
          'fence-failed',
          `Fence agent ${host.fenceAgent} failed (exit ${result.exitCode ?? 'none'}, ${took})${output}`,
        );
    } catch (err) {
      await fenceDone(
        hostId,
        name,
        'fence-failed',
        `Fence agent ${host.fenceAgent} could not run: ${toErrorPayload(err).message}`,
      );
    } finally {
      fencing.delete(hostId);
    }
  })().catch((err) => console.error(`[ha] fencing host ${name}:`, err));
}

async function fenceDone(hostId: string, name: string, state: 'fenced' | 'fence-failed', note: string): Promise<void> {
  const at = new Date();
  // Only from 'fencing' (or from 'dead' with no device): an admin or another manager may have moved it on.
  const changed =
    (await haSignals.setHostState(hostId, state, note, at, 'fencing')) ||
    (state === 'fence-failed' && (await haSignals.setHostState(hostId, state, note, at, 'dead')));
  if (!changed) return;
  await events.add({
    severity: state === 'fenced' ? 'warning' : 'error',
    kind: state === 'fenced' ? 'ha.fenced' : 'ha.fence-failed',
    message: `Host ${name}: ${note}`,
    hostId,
  });
  await replaceAlert('host', hostId, name, `Host ${name} (HA ${state}): ${note}`);
  await publishHost(hostId);
}

/** Acts as the oldest admin (tasks need an owner), as the balancer's periodic check does. */
async function systemOwner(): Promise<string | null> {
  const admin = (await users.list()).find((u) => u.role === 'admin');
  return admin?.id ?? null;
}

async function restartVm(snapshot: HaSnapshot, r: Extract<HaAction, { kind: 'restart' }>): Promise<void> {
  const from = hostName(snapshot, r.fromHostId);
  const to = hostName(snapshot, r.toHostId);
  const work = async (progress: (p: number, m?: string) => void): Promise<string> => {
    const vm = await vms.byId(r.vmId);
    if (!vm || vm.hostId !== r.fromHostId) return `VM ${vm?.name ?? r.vmId} moved meanwhile: nothing to do.`;
    progress(5, `Moving ${vm.name} from host ${from} to host ${to}`);
    if (!(await haSignals.moveForRestart({ ...r, reason: HA_RESTARTING_REASON })))
      return `VM ${vm.name} moved meanwhile: nothing to do.`;
    await publishVm(vm.id);
    progress(30, `Starting ${vm.name} on host ${to} from its shared domain XML`);
    try {
      const agent = await hostAgent(r.toHostId, to);
      const { domain, alreadyRunning } = await agent.request(
        'ha.restart',
        { uuid: vm.uuid },
        { timeoutMs: RESTART_TIMEOUT_MS },
      );
      await applyDomain(vm, domain);
      failedBefore.delete(vm.id);
      lastTried.delete(vm.id);
      await events.add({
        severity: 'warning',
        kind: 'ha.restarted',
        message: `HA restarted VM ${vm.name} on host ${to} (host ${from} failed)${alreadyRunning ? ', it was already running there' : ''}: ${r.why}`,
        vmId: vm.id,
        hostId: r.fromHostId,
      });
      await resolveAlert('vm', vm.id);
      if (r.fromHostId !== r.toHostId)
        await forgetLeftBehind({ id: r.fromHostId, name: from }, { ...vm, hostId: r.toHostId, hostName: to });
      return `Restarted on host ${to}.`;
    } catch (err) {
      const payload = toErrorPayload(err);
      await haSignals.moveBack({ ...r, reason: `not restarted: ${payload.message}`.slice(0, 500) });
      await publishVm(vm.id);
      failedBefore.add(vm.id);
      const locked = isLockRefusal(payload);
      const message = locked
        ? `Host ${from} still holds the disks of VM ${vm.name}: not restarted; it will be retried when the host releases them.`
        : `VM ${vm.name} not restarted: its restart on host ${to} failed (${payload.message}); it will be retried.`;
      await notRestarted(vm.id, r.fromHostId, message, vm.name);
      throw err instanceof Error ? err : new VireoError('INTERNAL', String(err));
    }
  };
  const owner = failedBefore.has(r.vmId) ? null : await systemOwner();
  if (!owner) {
    // A retry after a failure: no new task each time (the first attempt's task says why).
    await work(() => {}).catch(() => {});
    return;
  }
  await new Promise<void>((resolve, reject) => {
    startTask({ kind: HA_RESTART_TASK_KIND, vmId: r.vmId, hostId: r.toHostId, ownerId: owner }, work, resolve).catch(
      reject,
    );
  });
}

async function notRestarted(vmId: string, hostId: string, message: string, name: string): Promise<void> {
  if (!(await once(hostId, vmId, 'ha.not-restarted', message))) return;
  await events.add({ severity: 'error', kind: 'ha.not-restarted', message, vmId, hostId });
  await replaceAlert('vm', vmId, name, message);
}

async function hostAlert(hostId: string, name: string, kind: string, message: string): Promise<void> {
  if (!(await once(hostId, hostId, kind, message))) return;
  await events.add({ severity: 'error', kind, message, hostId });
  await replaceAlert('host', hostId, name, message);
}

/**
 * True the first time (object, message) is to be recorded since the host's HA state last
 * changed: this manager remembers it, and a manager that took over finds the event already there.
 */
async function once(hostId: string, objectId: string, kind: string, message: string): Promise<boolean> {
  const key = `${hostId}|${objectId}|${message}`;
  if (recorded.has(key)) return false;
  recorded.add(key);
  const host = await haSignals.hostForHa(hostId);
  const since = host?.haStateAt?.getTime() ?? 0;
  const recent = await events.listRecent(objectId === hostId ? { hostId, limit: 50 } : { vmId: objectId, limit: 50 });
  return !recent.some((e) => e.kind === kind && e.message === message && e.at.getTime() >= since);
}

/** The object's one open HA alert says the latest: the previous one resolves, a new one opens. */
async function replaceAlert(objectType: AlertObjectType, objectId: string, objectName: string, message: string) {
  await haSignals.ensureAlertRule();
  const open = (await alerts.listFiring({ ruleId: haSignals.HA_ALERT_RULE_ID })).find(
    (a) => a.objectType === objectType && a.objectId === objectId,
  );
  if (open?.message === message) return;
  if (open) await resolveAlert(objectType, objectId);
  const opened = await alerts.open({
    ruleId: haSignals.HA_ALERT_RULE_ID,
    objectType,
    objectId,
    objectName,
    value: 1,
    message,
  });
  // To browsers and to the alert webhook, like every other alert's transitions.
  if (opened) announce(opened);
}

async function resolveAlert(objectType: AlertObjectType, objectId: string): Promise<void> {
  const resolved = await alerts.resolve({ ruleId: haSignals.HA_ALERT_RULE_ID, objectType, objectId }, { value: 0 });
  if (resolved) announce(resolved);
}

/**
 * The lock manager refused the start: the protocol's CONFLICT with `details.locked`, or (an
 * agent or relay that drops details) libvirt's own words for a lease another host holds.
 */
function isLockRefusal(payload: ReturnType<typeof toErrorPayload>): boolean {
  if (payload.code !== 'CONFLICT' && payload.code !== 'LIBVIRT_ERROR') return false;
  const details = (payload as { details?: { locked?: unknown } }).details;
  if (details?.locked === true) return true;
  const text = `${payload.message} ${payload.libvirt?.message ?? ''}`;
  return /failed to acquire lock|resource temporarily unavailable|holds? (the|its) disks?|locked/i.test(text);
}
