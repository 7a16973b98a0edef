// VM leases (issue 10, docs/leases-showback.md): a project's lease policy and each VM's expiry.
// The sweep's steps are claimed by conditional updates (the expiry it read must still hold and
// the step must not be done yet), so two managers sweeping at once act once.
import { getDb } from './client.ts';

/** Days; null leaseDefaultDays: the project's VMs get no lease. */
export type LeasePolicy = {
  defaultDays: number | null;
  maxDays: number | null;
  graceDays: number | null;
  reminderDays: number | null;
};

export type VmLease = {
  vmId: string;
  name: string;
  ownerId: string;
  projectId: string | null;
  state: string;
  expiresAt: Date | null;
  remindedAt: Date | null;
  stoppedAt: Date | null;
  policy: LeasePolicy | null;
};

const policySelect = {
  leaseDefaultDays: true,
  leaseMaxDays: true,
  leaseGraceDays: true,
  leaseReminderDays: true,
} as const;

type PolicyRow = {
  leaseDefaultDays: number | null;
  leaseMaxDays: number | null;
  leaseGraceDays: number | null;
  leaseReminderDays: number | null;
};

function toPolicy(p: PolicyRow): LeasePolicy {
  return {
    defaultDays: p.leaseDefaultDays,
    maxDays: p.leaseMaxDays,
    graceDays: p.leaseGraceDays,
    reminderDays: p.leaseReminderDays,
  };
}

const leaseSelect = {
  id: true,
  name: true,
  ownerId: true,
  projectId: true,
  state: true,
  leaseExpiresAt: true,
  leaseRemindedAt: true,
  leaseStoppedAt: true,
  project: { select: policySelect },
} as const;

type LeaseRow = {
  id: string;
  name: string;
  ownerId: string;
  projectId: string | null;
  state: string;
  leaseExpiresAt: Date | null;
  leaseRemindedAt: Date | null;
  leaseStoppedAt: Date | null;
  project: PolicyRow | null;
};

function toLease(r: LeaseRow): VmLease {
  return {
    vmId: r.id,
    name: r.name,
    ownerId: r.ownerId,
    projectId: r.projectId,
    state: r.state,
    expiresAt: r.leaseExpiresAt,
    remindedAt: r.leaseRemindedAt,
    stoppedAt: r.leaseStoppedAt,
    policy: r.project ? toPolicy(r.project) : null,
  };
}

export async function policyOf(projectId: string): Promise<LeasePolicy | null> {
  const row = await getDb().project.findUnique({ where: { id: projectId }, select: policySelect });
  return row ? toPolicy(row) : null;
}

/** Sets the project's policy; false when there is no such project. */
export async function setPolicy(projectId: string, p: LeasePolicy): Promise<boolean> {
  const r = await getDb().project.updateMany({
    where: { id: projectId },
    data: {
      leaseDefaultDays: p.defaultDays,
      leaseMaxDays: p.maxDays,
      leaseGraceDays: p.graceDays,
      leaseReminderDays: p.reminderDays,
    },
  });
  return r.count === 1;
}

export async function ofVm(vmId: string): Promise<VmLease | null> {
  const row = await getDb().vm.findUnique({ where: { id: vmId }, select: leaseSelect });
  return row ? toLease(row) : null;
}

/** A new expiry (null: no lease); the reminder and stop steps start over. */
export async function setExpiry(vmId: string, expiresAt: Date | null): Promise<void> {
  await getDb().vm.updateMany({
    where: { id: vmId },
    data: { leaseExpiresAt: expiresAt, leaseRemindedAt: null, leaseStoppedAt: null },
  });
}

/**
 * VMs whose lease expires before `horizon` (the sweep passes now + the longest reminder period)
 * and that are not gone yet, soonest first. The sweep decides each one's step (leaseStep).
 */
export async function expiringBefore(horizon: Date, limit = 500): Promise<VmLease[]> {
  const rows = await getDb().vm.findMany({
    where: { leaseExpiresAt: { not: null, lte: horizon }, state: { not: 'deleting' } },
    select: leaseSelect,
    orderBy: [{ leaseExpiresAt: 'asc' }, { id: 'asc' }],
    take: limit,
  });
  return rows.map(toLease);
}

/** The longest reminder period of any project (days), so the sweep knows how far ahead to look. */
export async function longestReminderDays(): Promise<number> {
  const r = await getDb().project.aggregate({ _max: { leaseReminderDays: true } });
  return r._max.leaseReminderDays ?? 0;
}

/** Claims the reminder for this expiry: true for the one caller that stamps it. */
export async function claimReminder(vmId: string, expiresAt: Date, at: Date): Promise<boolean> {
  const r = await getDb().vm.updateMany({
    where: { id: vmId, leaseExpiresAt: expiresAt, leaseRemindedAt: null },
    data: { leaseRemindedAt: at },
  });
  return r.count === 1;
}

/** Claims the stop at expiry: true for the one caller that stamps it. */
export async function claimStop(vmId: string, expiresAt: Date, at: Date): Promise<boolean> {
  const r = await getDb().vm.updateMany({
    where: { id: vmId, leaseExpiresAt: expiresAt, leaseStoppedAt: null },
    data: { leaseStoppedAt: at },
  });
  return r.count === 1;
}

/** Undoes a stop claim whose stop failed, so the next sweep tries again. */
export async function releaseStop(vmId: string, expiresAt: Date): Promise<void> {
  await getDb().vm.updateMany({ where: { id: vmId, leaseExpiresAt: expiresAt }, data: { leaseStoppedAt: null } });
}
