/**
 * The lease sweep (issue 10, docs/leases-showback.md). Every manager ticks; only the cluster
 * leader sweeps, and each step is claimed by a conditional update of the VM row besides
 * (leases.claimReminder / claimStop), so a leader change mid-tick still acts once. Steps:
 * - remind the owner N days before expiry (an event addressed to them, once per expiry);
 * - at expiry stop the VM: a task "Lease expired" that asks the guest to shut down and powers
 *   it off when it does not in time, recorded as an event;
 * - after the grace period delete it with its own disks through the normal delete path (a
 *   vm.delete task), recorded as an event.
 * The clock is clock.ts's (a test clock in test stacks).
 */
import { type VmLease, leases, users, vms } from '@vireo/db';
import { toErrorPayload } from '@vireo/protocol';
import { managerEnv } from '../env.ts';
import type { UserView } from '../views.ts';
import { now } from './clock.ts';
import { recordEvent } from './views.ts';
import { isClusterLeader } from './cluster.ts';
import { DEFAULT_REMINDER_DAYS, deleteAt, leaseStep } from './lease-policy.ts';
import type { VmRecord } from './vm-access.ts';
import { applyDomain, deleteVm, prepare, runVmTask } from './vm-service.ts';
import { waitTaskEnd } from './tasks.ts';

let timer: NodeJS.Timeout | undefined;
let sweeping = false;
/** Steps that failed and were recorded, so a step failing at every tick is recorded once. */
const failed = new Set<string>();

export function startLeaseSweep(): void {
  if (timer) return;
  timer = setInterval(() => {
    if (!isClusterLeader() || sweeping) return;
    sweeping = true;
    sweepLeases(now())
      .catch((err) => console.error('[leases] sweep failed:', err))
      .finally(() => {
        sweeping = false;
      });
  }, managerEnv().VIREO_LEASE_TICK_S * 1000);
  timer.unref();
}

/** One sweep at `at`; returns the steps taken, e.g. ['remind vm-a', 'stop vm-b']. */
export async function sweepLeases(at: Date): Promise<string[]> {
  const lookAhead = Math.max(await leases.longestReminderDays(), DEFAULT_REMINDER_DAYS);
  const done: string[] = [];
  for (const l of await leases.expiringBefore(new Date(at.getTime() + lookAhead * 86_400_000))) {
    const step = leaseStep(l, at);
    if (!step) continue;
    const key = `${l.vmId} ${step} ${l.expiresAt?.getTime()}`;
    try {
      if (await runStep(step, l, at)) done.push(`${step} ${l.name}`);
      failed.delete(key);
    } catch (err) {
      // Retried at every tick (a host offline for an hour): recorded once, not every tick.
      if (failed.has(key)) continue;
      failed.add(key);
      await recordEvent({
        severity: 'warning',
        kind: 'vm.leaseStepFailed',
        message: `The lease sweep could not ${step} VM ${l.name} (it keeps trying): ${toErrorPayload(err).message}`,
        vmId: l.vmId,
      });
    }
  }
  return done;
}

async function runStep(step: 'remind' | 'stop' | 'delete', l: VmLease, at: Date): Promise<boolean> {
  const expiresAt = l.expiresAt as Date;
  if (step === 'remind') {
    if (!(await leases.claimReminder(l.vmId, expiresAt, at))) return false;
    await recordEvent({
      severity: 'warning',
      kind: 'vm.leaseReminder',
      message: `VM ${l.name}'s lease expires at ${expiresAt.toISOString()}: it will be stopped then, and deleted at ${deleteAt(l)?.toISOString()}. Extend the lease to keep it.`,
      vmId: l.vmId,
      userId: l.ownerId,
    });
    return true;
  }
  const vm = (await vms.byId(l.vmId)) as VmRecord | null;
  const owner = await users.byId(l.ownerId);
  if (!vm || !owner) return false;
  if (step === 'stop') {
    if (!(await leases.claimStop(l.vmId, expiresAt, at))) return false;
    try {
      if (isRunning(vm.state)) await waitTaskEnd(await leaseStopTask(vm, owner), 'vm');
    } catch (err) {
      await leases.releaseStop(l.vmId, expiresAt); // retried at the next tick
      throw err;
    }
    await recordEvent({
      severity: 'warning',
      kind: 'vm.leaseExpired',
      message: `VM ${l.name}'s lease expired at ${expiresAt.toISOString()}: stopped; it will be deleted at ${deleteAt(l)?.toISOString()} unless the lease is extended.`,
      vmId: l.vmId,
      userId: l.ownerId,
    });
    return true;
  }
  // Deleting: a VM started again after its stop (without extending) is powered off first.
  if (isRunning(vm.state)) await waitTaskEnd(await leaseStopTask(vm, owner), 'vm');
  const fresh = (await vms.byId(l.vmId)) as VmRecord | null;
  if (!fresh) return false;
  await recordEvent({
    severity: 'warning',
    kind: 'vm.leaseDeleted',
    message: `VM ${l.name} is being deleted with its disks: its lease expired at ${expiresAt.toISOString()} and the grace period ended.`,
    vmId: l.vmId,
    userId: l.ownerId,
  });
  await waitTaskEnd((await deleteVm(fresh, owner)).taskId, 'vm');
  return true;
}

function isRunning(state: string): boolean {
  return ['running', 'paused', 'shutdown', 'pmsuspended'].includes(state);
}

/**
 * The stop at expiry as one task of the VM ("Lease expired"): an ACPI shutdown, and a power-off
 * when the guest does not shut down within VIREO_SHUTDOWN_TIMEOUT_S (or refuses).
 */
async function leaseStopTask(vm: VmRecord, owner: UserView): Promise<string> {
  const agent = await prepare(vm, ['running', 'paused', 'shutdown', 'pmsuspended'], 'stop');
  const timeoutMs = managerEnv().VIREO_SHUTDOWN_TIMEOUT_S * 1000;
  return runVmTask(vm, 'vm.leaseExpired', owner, async (progress) => {
    progress(10, 'Lease expired: sent ACPI shutdown; waiting for the guest');
    try {
      const { domain } = await agent.request(
        'vm.shutdown',
        { uuid: vm.uuid, timeoutMs },
        { timeoutMs: timeoutMs + 15_000 },
      );
      await applyDomain(vm, domain);
      if (domain.state === 'shutoff') return 'Lease expired: the guest shut down';
    } catch (err) {
      progress(60, `The guest did not shut down (${toErrorPayload(err).message}); powering off`);
    }
    const { domain } = await agent.request('vm.forceOff', { uuid: vm.uuid });
    await applyDomain(vm, domain);
    return 'Lease expired: powered off (the guest did not shut down in time)';
  });
}
