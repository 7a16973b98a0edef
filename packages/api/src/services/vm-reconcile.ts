/**
 * What a host's reports mean for the VMs Vireo records. Two rules:
 * - Vireo never shows something libvirt does not. A VM left `unknown` (or `creating`/`deleting`)
 *   by a lost agent or a manager restart settles as soon as its host's full state arrives: a
 *   create that never reached libvirt ends as a failed create (record removed, task says why); a
 *   delete libvirt finished ends deleted.
 * - A host's report never moves a VM. A VM changes host only through an operation the manager
 *   ran (migration, or an admin's explicit adoption); another host reporting the same domain is
 *   a conflict, shown to admins, and the console and every request keep going to the recorded
 *   host.
 */
import { type DomainInfo, type DomainState, VireoError } from '@vireo/protocol';
import { events, hosts, INTERRUPTED_REASON, tasks, vmLocks, vmMigrations, vms } from '@vireo/db';
import { publish } from './bus.ts';
import { retryClashFor } from './domain-facts.ts';
import { publishTask, publishVm } from './views.ts';
import type { UserView } from '../views.ts';
import { isVmLocked, lockVm } from './vm-locks.ts';
import { recordStarts, reportedStart } from './vm-uptime.ts';
import { forgetStaleHaCopy } from './ha/stale-copies.ts';

type VmRow = NonNullable<Awaited<ReturnType<typeof vms.byId>>>;
type HostRef = { id: string; name: string };

const CREATE_INTERRUPTED: ReadonlySet<string | null> = new Set([
  INTERRUPTED_REASON.createHostLost,
  INTERRUPTED_REASON.createManagerRestart,
]);
const DELETE_INTERRUPTED: ReadonlySet<string | null> = new Set([
  INTERRUPTED_REASON.deleteHostLost,
  INTERRUPTED_REASON.deleteManagerRestart,
]);

/** Which operation left this VM not knowing what libvirt has, if any. */
export function interruptedOp(vm: Pick<VmRow, 'state' | 'stateReason'>): 'create' | 'delete' | null {
  // `creating`/`deleting` belong to a task of this manager (start-up turns those a previous run
  // left into `unknown` with a reason): never settled from absence.
  if (vm.state !== 'unknown') return null;
  if (CREATE_INTERRUPTED.has(vm.stateReason)) return 'create';
  if (DELETE_INTERRUPTED.has(vm.stateReason)) return 'delete';
  return null;
}

/**
 * Hosts that report a VM recorded on another host, per VM id. In memory: the agents resend their
 * full state on every reconnect, so after a manager restart the claims come back by themselves.
 */
const claims = new Map<string, Map<string, DomainState>>();
/** When a conflict event was last recorded per `${vmId}/${hostId}`: a host flapping its claim cannot flood the log. */
const warnedAt = new Map<string, number>();
const CONFLICT_EVENT_EVERY_MS = 10 * 60_000;

/** A removed host claims nothing any more. */
export function forgetClaimsOf(hostId: string): void {
  for (const [vmId, hostIds] of claims) {
    hostIds.delete(hostId);
    if (hostIds.size === 0) claims.delete(vmId);
  }
}

/** Host ids, other than its own, currently reporting this VM's domain. */
export function conflictingHosts(vmId: string): string[] {
  return [...(claims.get(vmId)?.keys() ?? [])];
}

/** Applies a host's full state to the VMs recorded on it, and notes its claims on others. */
export async function reconcileHostVms(host: HostRef, domains: DomainInfo[], inFlight: string[] = []): Promise<void> {
  const busy = new Set(inFlight);
  const byUuid = new Map(domains.map((d) => [d.uuid, d]));
  const hostVms = await vms.list({ hostId: host.id });
  // Locks of every manager: a task run by another manager works on this VM as much as ours.
  const locked = await vmLocks.lockedAmong(hostVms.map((vm) => vm.id));
  for (const vm of hostVms) {
    const domain = byUuid.get(vm.uuid);
    if (domain) {
      // A create or delete in progress sets the state from its own result.
      if (locked.has(vm.id) && (vm.state === 'creating' || vm.state === 'deleting')) continue;
      // Written only when it differs from the row: a reconnect reports every domain of the host.
      const start = reportedStart(domain);
      const startChanged = start !== undefined && (start?.getTime() ?? null) !== (vm.startedAt?.getTime() ?? null);
      const started = startChanged && (await recordStarts([{ uuid: vm.uuid, domain }], host.id));
      if (vm.state !== domain.state || vm.stateReason !== (domain.reason ?? null)) {
        await vms.updateState(vm.uuid, domain.state, domain.reason ?? null);
        await publishVm(vm.id);
      } else if (started) await publishVm(vm.id);
    } else if (!busy.has(vm.uuid) && !locked.has(vm.id)) {
      await settleMissing(vm, host);
    }
  }
  await noteClaims(host, domains);
}

/** The VM's domain is not on its host, and nothing is working on it: decide what that means. */
async function settleMissing(vm: VmRow, host: HostRef): Promise<void> {
  if (vm.state === 'creating' || vm.state === 'deleting') return;
  const op = interruptedOp(vm);
  if (op === 'create') {
    await forget(vm, 'vm.create', {
      kind: 'vm.create.failed',
      severity: 'warning',
      event: `VM ${vm.name} was never created: host ${host.name} came back without it, so its record was removed.`,
      outcome: `When its host reported back, the VM did not exist in libvirt: the create failed and the VM record was removed.`,
    });
  } else if (op === 'delete') {
    await forget(vm, 'vm.delete', {
      kind: 'vm.deleted',
      severity: 'info',
      event: `VM ${vm.name} deleted: host ${host.name} came back without it (the delete had finished in libvirt).`,
      outcome: `When its host reported back, libvirt had finished the delete: the VM record was removed.`,
    });
  } else if (vm.state !== 'unknown') {
    // It was there and is gone: undefined behind Vireo's back. Say so; an admin decides. Only
    // while it is still recorded here: a migration that finished since this report was read
    // moved it away.
    if ((await vms.setStates([vm.uuid], 'unknown', 'not found on its host', host.id)) === 0) return;
    await events.add({
      severity: 'warning',
      kind: 'vm.missing',
      message: `VM ${vm.name} is not defined on host ${host.name}.`,
      vmId: vm.id,
      hostId: host.id,
    });
    await publishVm(vm.id);
  }
}

async function forget(
  vm: VmRow,
  taskKind: 'vm.create' | 'vm.delete',
  what: { kind: string; severity: 'info' | 'warning'; event: string; outcome: string },
): Promise<void> {
  const task = await tasks.latestForVm(vm.id, [taskKind]);
  // Its files (an overlay made before the host was lost) are left to the storage sweep, which
  // removes files that belong to no VM once this record is gone.
  if (!(await vms.delete(vm.id))) return;
  await retryClashFor(vm.name);
  if (task && (await tasks.addOutcome(task.id, what.outcome))) await publishTask(task.id);
  await events.add({ severity: what.severity, kind: what.kind, message: what.event, hostId: vm.hostId });
  publish({ kind: 'vmRemoved', vmId: vm.id, ownerId: vm.ownerId });
}

/**
 * Its own host says the domain is not there (an `undefined` event, or the `checked` report an
 * agent sends after a create or delete failed). A create or delete that was cut off ends here,
 * without waiting for the next full state. Returns true when the VM was forgotten.
 */
export async function settleUndefined(vm: VmRow, host: HostRef): Promise<boolean> {
  if (interruptedOp(vm) === null || (await isVmLocked(vm.id))) return false;
  await settleMissing(vm, host);
  return true;
}

/** Records, once per (VM, host), that a host other than the VM's reports its domain. */
async function noteClaims(host: HostRef, domains: DomainInfo[]): Promise<void> {
  const reported = new Set(domains.map((d) => d.uuid));
  // Claims this host no longer makes are dropped.
  for (const [vmId, hostIds] of claims) {
    if (!hostIds.has(host.id)) continue;
    const vm = await vms.byId(vmId);
    if (!vm || !reported.has(vm.uuid)) hostIds.delete(host.id);
    if (hostIds.size === 0) claims.delete(vmId);
  }
  // One query finds the domains that are Vireo VMs recorded elsewhere; only those can be claims
  // (a per-domain lookup here cost 100 queries per host on every full state).
  const elsewhere = new Set((await vms.notOnHost([...reported], host.id)).map((vm) => vm.uuid));
  for (const domain of domains) if (elsewhere.has(domain.uuid)) await noteClaim(host, domain.uuid, domain);
}

/**
 * A host reported a domain (by event or full state). If it is a Vireo VM recorded elsewhere, the
 * report changes nothing but is shown to admins as a conflict, once. Returns true for a claim.
 */
export async function noteClaim(host: HostRef, uuid: string, domain: DomainInfo | null): Promise<boolean> {
  const vm = await vms.byUuid(uuid);
  if (!vm || vm.hostId === host.id) return false;
  // A migration to this host is running: the domain is expected there before the record moves.
  if ((await vmMigrations.destinationOf(vm.id)) === host.id) return true;
  const hostIds = claims.get(vm.id) ?? new Map<string, DomainState>();
  if (domain === null) {
    hostIds.delete(host.id);
    if (hostIds.size === 0) claims.delete(vm.id);
    return true;
  }
  const known = hostIds.has(host.id);
  hostIds.set(host.id, domain.state);
  claims.set(vm.id, hostIds);
  // The source's copy of a VM that just migrated away (paused for the switch-over, then shut off
  // as `migrated` until its agent undefines it) can be reported after the record moved: that is
  // the migration's tail, not a second copy. It still counts as a claim until it goes.
  if (domain.state !== 'running' && /migrat/.test(domain.reason ?? '')) return true;
  // A definition a fenced host kept of a VM that HA restarted elsewhere: removed, not an alarm.
  if (await forgetStaleHaCopy(host, vm, domain)) return true;
  const key = `${vm.id}/${host.id}`;
  const last = warnedAt.get(key) ?? 0;
  if (known || Date.now() - last < CONFLICT_EVENT_EVERY_MS) return true;
  warnedAt.set(key, Date.now());
  await events.add({
    severity: 'error',
    kind: 'vm.conflict',
    message:
      `Host ${host.name} reports VM ${vm.name} (${domain.state}), which Vireo runs on ${vm.hostName ?? 'no host'}. ` +
      'Nothing was changed: requests and the console still go to the recorded host. If the VM really moved, ' +
      `adopt it on ${host.name}; otherwise remove the stray definition there.`,
    vmId: vm.id,
    hostId: host.id,
  });
  return true;
}

/**
 * An admin's explicit adoption: the VM's record moves to a host that reports its domain (its
 * claim is known), and takes the state that host reports. Refused while the recorded host is
 * online and still has the domain: then the stray copy is the one to remove.
 */
export async function adoptVm(vm: VmRow, hostId: string, user: UserView): Promise<void> {
  if (user.role !== 'admin') throw new VireoError('FORBIDDEN', 'Only an administrator can adopt a VM.');
  if (vm.hostId === hostId) return;
  const release = await lockVm(vm, 'vm.adopt');
  try {
    await adopt(vm, hostId, user.id);
  } finally {
    release();
  }
}

async function adopt(vm: VmRow, hostId: string, userId: string): Promise<void> {
  const target = await hosts.byId(hostId);
  if (!target) throw new VireoError('NOT_FOUND', 'No such host.', { object: 'host' });
  const claimedState = claims.get(vm.id)?.get(hostId);
  if (!claimedState) {
    throw new VireoError(
      'INVALID_STATE',
      `Host ${target.name} does not report VM ${vm.name}; only a host that has its domain can adopt it.`,
      { object: 'vm' },
    );
  }
  if (vm.hostId && vm.hostStatus === 'online' && vm.state !== 'unknown') {
    throw new VireoError(
      'CONFLICT',
      `VM ${vm.name} is still ${vm.state} on ${vm.hostName ?? 'its host'}; adopt it only once its recorded host no longer has it.`,
      { object: 'vm' },
    );
  }
  await vms.setHost(vm.id, hostId);
  await vms.updateState(vm.uuid, claimedState, 'adopted');
  claims.get(vm.id)?.delete(hostId);
  await events.add({
    severity: 'warning',
    kind: 'vm.adopted',
    message: `VM ${vm.name} adopted by host ${target.name} (was ${vm.hostName ?? 'none'}).`,
    vmId: vm.id,
    hostId,
    userId,
  });
  await publishVm(vm.id);
}
