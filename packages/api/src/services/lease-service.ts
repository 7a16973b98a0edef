/**
 * VM leases (issue 10, docs/leases-showback.md): what the VM page shows, extending within the
 * project's policy, admins setting or clearing a lease, and the default lease a VM gets when it
 * enters a project with a policy. Times come from clock.ts (a test clock in test stacks).
 */
import { type LeasePolicy, leases } from '@vireo/db';
import { VireoError } from '@vireo/protocol';
import type { UserView } from '../views.ts';
import { now } from './clock.ts';
import { recordEvent } from './views.ts';
import { defaultExpiry, deleteAt, latestExpiry, reminderDays } from './lease-policy.ts';
import { publishVm } from './views.ts';

export type LeaseView = {
  expiresAt: Date | null;
  remindedAt: Date | null;
  stoppedAt: Date | null;
  /** When the sweep deletes the VM (expiry + grace); null without a lease. */
  deletesAt: Date | null;
  /** When the owner is reminded. */
  remindsAt: Date | null;
  /** The latest expiry an extension may reach now (null: no limit). */
  latestExpiry: Date | null;
  policy: LeasePolicy | null;
  /** The clock the rules use (the test clock in test stacks), so the page counts from it. */
  now: Date;
};

async function leaseOf(vmId: string) {
  const l = await leases.ofVm(vmId);
  if (!l) throw new VireoError('NOT_FOUND', 'No such VM.', { object: 'vm' });
  return l;
}

export async function leaseView(vmId: string): Promise<LeaseView> {
  const l = await leaseOf(vmId);
  const at = now();
  return {
    expiresAt: l.expiresAt,
    remindedAt: l.remindedAt,
    stoppedAt: l.stoppedAt,
    deletesAt: deleteAt(l),
    remindsAt: l.expiresAt ? new Date(l.expiresAt.getTime() - reminderDays(l.policy) * 86_400_000) : null,
    latestExpiry: latestExpiry(l.policy, at),
    policy: l.policy,
    now: at,
  };
}

/**
 * Sets the VM's expiry, owners and admins alike within policy: in the future and never past
 * now + the project's leaseMaxDays. `null` (no lease) only for admins, and only where the
 * project does not impose one.
 */
export async function setLease(
  vm: { id: string; name: string },
  expiresAt: Date | null,
  user: UserView,
): Promise<LeaseView> {
  const l = await leaseOf(vm.id);
  const at = now();
  if (expiresAt === null) {
    if (user.role !== 'admin')
      throw new VireoError('FORBIDDEN', 'Only administrators can remove a VM’s lease.', { object: 'vm' });
    if (l.policy?.defaultDays != null)
      throw new VireoError(
        'FORBIDDEN',
        `VM ${vm.name}'s project gives every VM a lease; set a later expiry instead, or change the project's lease policy.`,
        { object: 'vm' },
      );
  } else {
    if (expiresAt.getTime() <= at.getTime())
      throw new VireoError('BAD_INPUT', 'The new expiry must be in the future.', { object: 'vm' });
    const latest = latestExpiry(l.policy, at);
    if (latest && expiresAt.getTime() > latest.getTime()) {
      throw new VireoError(
        'FORBIDDEN',
        `The project's lease policy allows at most ${l.policy?.maxDays ?? l.policy?.defaultDays} days from now: VM ${vm.name}'s lease can run until ${latest.toISOString()} at the latest. Choose an earlier date, or ask an administrator to change the policy.`,
        { object: 'vm' },
      );
    }
  }
  await leases.setExpiry(vm.id, expiresAt);
  await recordEvent({
    severity: 'info',
    kind: 'vm.leaseSet',
    message: expiresAt
      ? `VM ${vm.name}'s lease now runs until ${expiresAt.toISOString()} (set by ${user.username}).`
      : `VM ${vm.name}'s lease was removed by ${user.username}.`,
    vmId: vm.id,
    userId: user.id,
  });
  await publishVm(vm.id);
  return leaseView(vm.id);
}

/** Extends by `days` from the current expiry (or from now, once expired). */
export async function extendLease(vm: { id: string; name: string }, days: number, user: UserView): Promise<LeaseView> {
  const l = await leaseOf(vm.id);
  const base = Math.max(now().getTime(), l.expiresAt?.getTime() ?? 0);
  return setLease(vm, new Date(base + days * 86_400_000), user);
}

/** A VM whose lease has expired starts again only once its lease is extended. */
export function refuseIfLeaseExpired(vm: { name: string; leaseExpiresAt: Date | null }, verb: string): void {
  if (vm.leaseExpiresAt && vm.leaseExpiresAt.getTime() <= now().getTime()) {
    throw new VireoError(
      'INVALID_STATE',
      `VM ${vm.name}'s lease expired at ${vm.leaseExpiresAt.toISOString()}: extend the lease to ${verb} it.`,
      { object: 'vm' },
    );
  }
}

/**
 * Gives a VM that just entered a project (created in it or moved into it) the project's default
 * lease, unless it already has one. Call after Vm.projectId is set.
 */
export async function applyDefaultLease(vmId: string): Promise<void> {
  const l = await leases.ofVm(vmId);
  if (!l || l.expiresAt) return;
  const expiresAt = defaultExpiry(l.policy, now());
  if (expiresAt) await leases.setExpiry(vmId, expiresAt);
}

export async function setLeasePolicy(projectId: string, policy: LeasePolicy): Promise<LeasePolicy> {
  if (!(await leases.setPolicy(projectId, policy)))
    throw new VireoError('NOT_FOUND', 'No such project.', { object: 'project' });
  return policy;
}

export async function leasePolicy(projectId: string): Promise<LeasePolicy> {
  const p = await leases.policyOf(projectId);
  if (!p) throw new VireoError('NOT_FOUND', 'No such project.', { object: 'project' });
  return p;
}
