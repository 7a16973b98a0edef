/** Quota figures as the project pages show them (kinds and labels: quotas/quota-bars.tsx). */
import type { QuotaKind } from '../quotas/quota-bars';

/** "3 / 10", or "3 / no limit". */
export function quotaText(_key: QuotaKind, used: number, limit: number | null): string {
  return `${used} / ${limit === null ? 'no limit' : limit}`;
}
