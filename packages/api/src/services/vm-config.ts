/**
 * Editing a VM: name, vCPUs (with a maximum) and memory (with a maximum); a running VM takes
 * vCPUs and memory at once within the maximums it started with (hot-plug, balloon). The host
 * changes the domain's definition first; the VM row follows the figures libvirt then reports, so
 * a refused edit changes nothing in Vireo's records.
 */
import { vmDescription, vms } from '@vireo/db';
import { VireoError } from '@vireo/protocol';
import type { UserView } from '../views.ts';
import type { VmRecord } from './vm-access.ts';
import { reserveResize } from './quotas/resize.ts';
import { prepare, runVmTask } from './vm-service.ts';
import { publishVm } from './views.ts';

export interface VmEditInput {
  name: string;
  vcpus: number;
  maxVcpus: number;
  memoryMiB: number;
  maxMemoryMiB: number;
  /** Left out: unchanged. */
  description?: string;
}

export async function editVm(vm: VmRecord, user: UserView, input: VmEditInput): Promise<{ taskId: string }> {
  const agent = await prepare(vm, ['shutoff', 'crashed', 'running', 'paused'], 'edit');
  if (input.name !== vm.name && vm.state !== 'shutoff' && vm.state !== 'crashed') {
    throw new VireoError('INVALID_STATE', `Shut VM ${vm.name} down to rename it.`, { object: 'vm' });
  }
  const taken = input.name !== vm.name ? await vms.byName(input.name) : null;
  if (taken && taken.id !== vm.id) {
    throw new VireoError('CONFLICT', `A VM named ${input.name} already exists.`, { object: 'vm' });
  }
  // Growth against the VM's project quota is reserved first (QUOTA_EXCEEDED, nothing changed).
  // Memory counts at its maximum: QEMU allocates it all at start (-m), the balloon only lends
  // back what a cooperating guest gives (quotas/resize.ts).
  const resize = await reserveResize(vm.id, {
    vcpus: input.vcpus,
    memory: {
      memoryMiB: input.memoryMiB,
      maxMemoryMiB: input.maxMemoryMiB,
      running: vm.state !== 'shutoff' && vm.state !== 'crashed',
    },
  });
  const run = runVmTask(vm, 'vm.editConfig', user, async () => {
    let answer: Awaited<ReturnType<typeof agent.request<'vm.editConfig'>>>;
    try {
      answer = await agent.request('vm.editConfig', { uuid: vm.uuid, ...input });
    } catch (err) {
      await resize.failed();
      throw err;
    }
    await resize.done();
    const { domain, pending, live } = answer;
    // A running VM's row shows what runs: the live figures, with a hot-plug or balloon already in.
    // The balloon's own figure follows the guest's driver; the target libvirt accepted is what runs.
    const memoryMiB = live.includes('memory') ? input.memoryMiB : domain.memoryMiB;
    await vms.applyFacts(vm.uuid, { name: domain.name, vcpus: domain.vcpus, memoryMiB });
    if (input.description !== undefined) await vmDescription.set(vm.id, input.description);
    await publishVm(vm.id);
    return editSummary(input, live, pending);
  });
  // The task never started (the VM is busy): nothing changed, give the growth back.
  const taskId = await run.catch(async (err: unknown) => {
    await resize.failed();
    throw err;
  });
  return { taskId };
}

/** The task's message: what the running VM took at once and what waits for its next start. */
export function editSummary(input: VmEditInput, live: readonly ('vcpus' | 'memory')[], pending: boolean): string {
  const figures = `${input.vcpus} vCPUs (max ${input.maxVcpus}), ${input.memoryMiB} MiB (max ${input.maxMemoryMiB} MiB)`;
  const now = [
    live.includes('vcpus') ? `${input.vcpus} vCPUs hot-plugged` : '',
    live.includes('memory') ? `memory ballooned to ${input.memoryMiB} MiB` : '',
  ].filter(Boolean);
  const liveText = now.length > 0 ? `Live now: ${now.join(', ')}. ` : '';
  if (pending) return `${liveText}${figures} apply in full at the next start (shut down, then start)`;
  return now.length > 0 ? `${liveText}Definition: ${figures}` : `Now ${figures}`;
}

/** One figure whose next-start value differs from the running VM's. */
export interface PendingChange {
  what: 'vCPUs' | 'Maximum vCPUs' | 'Memory (MiB)' | 'Maximum memory (MiB)';
  now: number;
  next: number;
}

/**
 * What the running VM's definition holds that the running domain does not (libvirt keeps the two
 * apart): these apply at its next start. A stopped VM has none.
 */
export async function pendingChanges(vm: VmRecord): Promise<{ changes: PendingChange[] }> {
  if (vm.state !== 'running' && vm.state !== 'paused') return { changes: [] };
  const agent = await prepare(vm, ['running', 'paused'], 'read the pending changes of');
  const { live, next } = await agent.request('vm.pendingConfig', { uuid: vm.uuid });
  const rows: [PendingChange['what'], number, number][] = [
    ['vCPUs', live.vcpus, next.vcpus],
    ['Maximum vCPUs', live.maxVcpus, next.maxVcpus],
    ['Memory (MiB)', live.memoryMiB, next.memoryMiB],
    ['Maximum memory (MiB)', live.maxMemoryMiB, next.maxMemoryMiB],
  ];
  return {
    changes: rows.filter(([, a, b]) => a !== b).map(([what, now, nextValue]) => ({ what, now, next: nextValue })),
  };
}

/** vCPU and memory figures of a VM, each with its maximum. */
export interface VmLimits {
  vcpus: number;
  maxVcpus: number;
  memoryMiB: number;
  maxMemoryMiB: number;
}

/**
 * What the Edit dialog starts from: the definition's figures (`next`) and, for a running VM, the
 * running domain's (`live`: its maximums bound what can change without a restart).
 */
export async function editLimits(vm: VmRecord): Promise<{ next: VmLimits; live: VmLimits | null }> {
  const agent = await prepare(vm, ['shutoff', 'crashed', 'running', 'paused'], 'read the settings of');
  const { state, live, next } = await agent.request('vm.pendingConfig', { uuid: vm.uuid });
  return { next, live: state === 'running' || state === 'paused' ? live : null };
}

/** The VM's description ('' when none); read from Vireo's records, so a host need not be up. */
export async function describeVm(vm: VmRecord): Promise<{ description: string }> {
  return { description: (await vmDescription.get(vm.id)) ?? '' };
}
