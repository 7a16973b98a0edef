/**
 * When each VM's QEMU process started (the Summary's uptime), from what its host reports with the
 * domain (DomainInfo.startedAt, read by the agent from the process itself). A VM that is not
 * running or paused has none. A running domain reported without a time (an agent from before
 * startedAt) leaves the recorded time as it is.
 */
import { vms } from '@vireo/db';
import type { DomainInfo } from '@vireo/protocol';

export function reportedStart(domain: DomainInfo | null): Date | null | undefined {
  if (!domain || (domain.state !== 'running' && domain.state !== 'paused')) return null;
  return domain.startedAt ? new Date(domain.startedAt) : undefined;
}

/** Records the start times these reports tell; returns whether any row changed. */
export async function recordStarts(
  reports: readonly { uuid: string; domain: DomainInfo | null }[],
  /** The reporting host: only VMs still recorded there are written. */
  hostId?: string,
): Promise<boolean> {
  const entries = reports.flatMap((r) => {
    const startedAt = reportedStart(r.domain);
    return startedAt === undefined ? [] : [{ uuid: r.uuid, startedAt }];
  });
  return entries.length > 0 && (await vms.setStartedAt(entries, hostId)) > 0;
}
