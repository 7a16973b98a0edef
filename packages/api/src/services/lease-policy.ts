/**
 * Lease rules (issue 10, docs/leases-showback.md), pure: the expiry a project's policy gives a
 * new VM, how far an extension may go, and which step the sweep owes a VM now.
 */
import type { LeasePolicy } from '@vireo/db';

const DAY_MS = 86_400_000;

/** A VM leased outside any project policy (an admin set it): deleted a week after expiry. */
export const DEFAULT_GRACE_DAYS = 7;
/** …and its owner is reminded a day before. */
export const DEFAULT_REMINDER_DAYS = 1;

/** The expiry a VM entering a project gets: none when the project has no default lease. */
export function defaultExpiry(policy: LeasePolicy | null, now: Date): Date | null {
  if (!policy || policy.defaultDays === null) return null;
  return new Date(now.getTime() + policy.defaultDays * DAY_MS);
}

/** The latest expiry an owner may set: now + maxDays (null: no limit; default days when only those are set). */
export function latestExpiry(policy: LeasePolicy | null, now: Date): Date | null {
  const days = policy?.maxDays ?? policy?.defaultDays ?? null;
  return days === null ? null : new Date(now.getTime() + days * DAY_MS);
}

export type LeaseStep = 'remind' | 'stop' | 'delete' | null;

export type LeaseState = {
  expiresAt: Date | null;
  remindedAt: Date | null;
  stoppedAt: Date | null;
  policy: LeasePolicy | null;
};

export function graceDays(policy: LeasePolicy | null): number {
  return policy?.graceDays ?? DEFAULT_GRACE_DAYS;
}

export function reminderDays(policy: LeasePolicy | null): number {
  return policy?.reminderDays ?? DEFAULT_REMINDER_DAYS;
}

/** When the expired VM is deleted. */
export function deleteAt(l: Pick<LeaseState, 'expiresAt' | 'policy'>): Date | null {
  return l.expiresAt ? new Date(l.expiresAt.getTime() + graceDays(l.policy) * DAY_MS) : null;
}

/**
 * The step the sweep owes this VM at `now`: remind once within the reminder period; stop at
 * expiry (once); delete once the grace period is over (only after it was stopped, so a VM is
 * never deleted without its stop having been recorded first).
 */
export function leaseStep(l: LeaseState, now: Date): LeaseStep {
  if (!l.expiresAt) return null;
  const t = now.getTime();
  const exp = l.expiresAt.getTime();
  if (t >= exp) {
    if (!l.stoppedAt) return 'stop';
    const del = deleteAt(l);
    return del && t >= del.getTime() ? 'delete' : null;
  }
  if (!l.remindedAt && t >= exp - reminderDays(l.policy) * DAY_MS) return 'remind';
  return null;
}
