/** Quota kinds as the project pages show them. */
export const QUOTA_KEYS = ['Vms', 'Vcpus', 'MemoryMiB', 'DiskGiB', 'Snapshots'] as const;
export type QuotaKey = (typeof QUOTA_KEYS)[number];

export const QUOTA_LABELS: Record<QuotaKey, string> = {
  Vms: 'VMs',
  Vcpus: 'vCPUs',
  MemoryMiB: 'Memory (MiB)',
  DiskGiB: 'Disk (GiB)',
  Snapshots: 'Snapshots',
};

/** "3 / 10", or "3 / no limit". */
export function quotaText(_key: QuotaKey, used: number, limit: number | null): string {
  return `${used} / ${limit === null ? 'no limit' : limit}`;
}
