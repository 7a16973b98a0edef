/**
 * Quota policy (issue 10): what a change costs against a project's quota, and the words a
 * refusal uses. Pure: the counters and the atomic reservation are packages/db's (quotas.ts).
 */
import type { ProjectView, QuotaDelta, QuotaKind } from '@vireo/db';

const GIB = 1024 ** 3;

/**
 * What a new VM takes: one VM, its vCPUs and memory, and its disks (whole GiB, rounded up once
 * for all): the blank disks asked for and `templateDiskBytes`, the virtual size of the template's
 * bases that its own disks get (quotas/template-disk.ts).
 */
export function vmCost(
  input: {
    vcpus: number;
    memoryMiB: number;
    disks?: readonly { source: { kind: string; sizeBytes?: number } }[];
  },
  templateDiskBytes = 0,
): Required<QuotaDelta> {
  const diskBytes = (input.disks ?? []).reduce(
    (sum, d) => sum + (d.source.kind === 'blank' ? (d.source.sizeBytes ?? 0) : 0),
    templateDiskBytes,
  );
  return { Vms: 1, Vcpus: input.vcpus, MemoryMiB: input.memoryMiB, DiskGiB: Math.ceil(diskBytes / GIB), Snapshots: 0 };
}

/** The growth (positive part) and the shrink (as positive numbers) between two sizes of a VM. */
export function resizeDelta(
  from: { vcpus: number; memoryMiB: number; diskGiB: number },
  to: { vcpus: number; memoryMiB: number; diskGiB: number },
): { grow: QuotaDelta; shrink: QuotaDelta } {
  const d = {
    Vcpus: to.vcpus - from.vcpus,
    MemoryMiB: to.memoryMiB - from.memoryMiB,
    DiskGiB: to.diskGiB - from.diskGiB,
  };
  const pick = (sign: 1 | -1): QuotaDelta =>
    Object.fromEntries(Object.entries(d).map(([k, v]) => [k, Math.max(0, sign * v)])) as QuotaDelta;
  return { grow: pick(1), shrink: pick(-1) };
}

const LABELS: Record<QuotaKind, { unit: string; one: string; verb: string }> = {
  Vms: { unit: 'VMs', one: 'VM', verb: 'this adds' },
  Vcpus: { unit: 'vCPUs', one: 'vCPU', verb: 'this VM needs' },
  MemoryMiB: { unit: 'MiB of memory', one: 'MiB', verb: 'this VM needs' },
  DiskGiB: { unit: 'GiB of disk', one: 'GiB', verb: 'this needs' },
  Snapshots: { unit: 'snapshots', one: 'snapshot', verb: 'this adds' },
};

/** The kinds the delta would take past their limit, in QUOTA_KINDS order. */
export function exceededKinds(project: Pick<ProjectView, 'quota' | 'used'>, delta: QuotaDelta): QuotaKind[] {
  return (Object.keys(LABELS) as QuotaKind[]).filter((k) => {
    const n = delta[k] ?? 0;
    const limit = project.quota[k];
    return n > 0 && limit !== null && project.used[k] + n > limit;
  });
}

/**
 * "Project dev: 14 of 16 vCPUs in use; this VM needs 4. Ask for more, or request approval."
 * Names every limit the request passes.
 */
export function quotaMessage(project: Pick<ProjectView, 'name' | 'quota' | 'used'>, delta: QuotaDelta): string {
  return `${quotaSummary(project, delta)}. Ask for more, or request approval.`;
}

/** "Project dev: 14 of 16 vCPUs in use; this VM needs 4" (an approval over quota records it). */
export function quotaSummary(project: Pick<ProjectView, 'name' | 'quota' | 'used'>, delta: QuotaDelta): string {
  const kinds = exceededKinds(project, delta);
  const parts = kinds.map((k) => {
    const l = LABELS[k];
    return `${project.used[k]} of ${project.quota[k]} ${l.unit} in use; ${l.verb} ${delta[k]}`;
  });
  // Refused by the database but fine by this reading: another request took the room in between.
  const what = parts.length > 0 ? parts.join('; ') : 'its quota was used up by another request just now';
  return `Project ${project.name}: ${what}`;
}
