/**
 * VM snapshots: create, revert, delete run as tasks under the VM's lock (one operation per VM
 * across managers); the database mirrors libvirt's list, replaced from every agent answer, so
 * libvirt stays the truth for which snapshots exist.
 */
import { type SnapshotInfo, VireoError } from '@vireo/protocol';
import { type SnapshotRow, VM_STATES, type VmState, events, quotas, snapshots, vms } from '@vireo/db';
import type { UserView } from '../views.ts';
import { type HostAgent, hostAgent } from './agent-router.ts';
import { type ProgressFn, startTask } from './tasks.ts';
import type { VmRecord } from './vm-access.ts';
import { withQuota } from './quotas/reserve.ts';
import { lockVm } from './vm-locks.ts';
import { publishVm } from './views.ts';
import { refuseIfInMaintenance } from './host-maintenance-guard.ts';

export interface SnapshotView extends Omit<SnapshotRow, 'createdAt'> {
  createdAt: string;
}

/** savevm of a big guest on slow storage takes long; the agent answers when libvirt does. */
const SNAPSHOT_TIMEOUT_MS = 10 * 60_000;

const toView = (r: SnapshotRow): SnapshotView => ({ ...r, createdAt: r.createdAt.toISOString() });

async function agentFor(vm: VmRecord): Promise<HostAgent> {
  if (!vm.hostId || !vm.hostName) throw new VireoError('NOT_FOUND', `VM ${vm.name} has no host.`, { object: 'host' });
  return hostAgent(vm.hostId, vm.hostName);
}

/**
 * The VM's snapshots: asked of its host when it answers (and mirrored), else the last mirror
 * (`stale`), so a host being offline does not hide them.
 */
export async function listSnapshots(vm: VmRecord): Promise<{ snapshots: SnapshotView[]; stale: boolean }> {
  let stale = true;
  try {
    const agent = await agentFor(vm);
    const { snapshots: facts } = await agent.request('snapshot.list', { uuid: vm.uuid }, { timeoutMs: 10_000 });
    await snapshots.replaceForVm(vm.id, facts);
    stale = false;
  } catch (err) {
    if (!VireoError.is(err)) throw err;
  }
  return { snapshots: (await snapshots.listForVm(vm.id)).map(toView), stale };
}

async function runSnapshotTask(
  vm: VmRecord,
  kind: string,
  ownerId: string,
  work: (agent: HostAgent, progress: ProgressFn, taskId: string) => Promise<string>,
): Promise<{ taskId: string }> {
  const agent = await agentFor(vm);
  const release = await lockVm(vm, kind);
  try {
    const taskId = await startTask(
      { kind, vmId: vm.id, hostId: vm.hostId, ownerId },
      (progress, taskId) => work(agent, progress, taskId),
      release,
    );
    return { taskId };
  } catch (err) {
    release();
    throw err;
  }
}

async function mirror(vm: VmRecord, facts: SnapshotInfo[], scheduledNew: string[] = []): Promise<void> {
  await snapshots.replaceForVm(vm.id, facts, scheduledNew);
  await publishVm(vm.id);
}

export interface CreateSnapshotInput {
  name: string;
  description?: string | undefined;
  withMemory: boolean;
}

/** The VM states each kind needs (ops/snapshots.ts says why). */
function checkKind(vm: VmRecord, withMemory: boolean): void {
  if (withMemory && vm.state !== 'running' && vm.state !== 'paused') {
    throw new VireoError('INVALID_STATE', `A snapshot with memory needs VM ${vm.name} running; it is ${vm.state}.`, {
      object: 'snapshot',
    });
  }
  if (!withMemory && vm.state !== 'shutoff') {
    throw new VireoError(
      'INVALID_STATE',
      `A disk-only snapshot needs VM ${vm.name} shut off; it is ${vm.state}. Shut it down, or include memory.`,
      { object: 'snapshot' },
    );
  }
}

export async function createSnapshot(
  vm: VmRecord,
  input: CreateSnapshotInput,
  ownerId: string,
  opts: { scheduled?: boolean } = {},
): Promise<{ taskId: string }> {
  checkKind(vm, input.withMemory);
  if ((await snapshots.listForVm(vm.id)).some((s) => s.name === input.name)) {
    throw new VireoError('CONFLICT', `VM ${vm.name} already has a snapshot named ${input.name}.`, {
      object: 'snapshot',
    });
  }
  const kind = opts.scheduled ? 'snapshot.scheduled' : 'snapshot.create';
  // One snapshot of the project's quota, reserved before the host is asked, given back if the
  // task does not start or libvirt refuses (a lost host keeps it: the snapshot may exist).
  const projectId = (await quotas.vmShare(vm.id))?.projectId ?? null;
  return withQuota(projectId, { Snapshots: 1 }, () =>
    runSnapshotTask(vm, kind, ownerId, async (agent, progress, taskId) => {
      progress(10, input.withMemory ? 'Saving disks and memory' : 'Saving disks');
      let facts: SnapshotInfo[];
      try {
        ({ snapshots: facts } = await agent.request(
          'snapshot.create',
          { uuid: vm.uuid, ...input },
          { timeoutMs: SNAPSHOT_TIMEOUT_MS, taskId },
        ));
      } catch (err) {
        if (projectId && !VireoError.is(err, 'HOST_UNREACHABLE') && !VireoError.is(err, 'TIMEOUT')) {
          await quotas.release(projectId, { Snapshots: 1 });
        }
        throw err;
      }
      await mirror(vm, facts, opts.scheduled ? [input.name] : []);
      return `Snapshot ${input.name} created${input.withMemory ? ' with memory' : ''}`;
    }),
  );
}

export async function revertSnapshot(
  vm: VmRecord,
  input: { name: string; start?: boolean | undefined },
  user: UserView,
): Promise<{ taskId: string }> {
  const snap = (await snapshots.listForVm(vm.id)).find((s) => s.name === input.name);
  if (!snap) throw new VireoError('NOT_FOUND', `VM ${vm.name} has no snapshot ${input.name}.`, { object: 'snapshot' });
  // A revert to a running snapshot (or asked to start) starts the VM on its host.
  if (input.start || snap.state === 'running' || snap.state === 'paused')
    await refuseIfInMaintenance(vm.hostId, `revert VM ${vm.name} to a running snapshot`);
  return runSnapshotTask(vm, 'snapshot.revert', user.id, async (agent, progress, taskId) => {
    progress(10, `Reverting to ${input.name}`);
    const { snapshots: facts, domain } = await agent.request(
      'snapshot.revert',
      { uuid: vm.uuid, name: input.name, ...(input.start ? { start: true } : {}) },
      { timeoutMs: SNAPSHOT_TIMEOUT_MS, taskId },
    );
    if ((VM_STATES as readonly string[]).includes(domain.state)) {
      await vms.updateState(vm.uuid, domain.state as VmState, 'snapshot reverted');
    }
    await mirror(vm, facts);
    await events.add({
      severity: 'info',
      kind: 'vm.snapshotReverted',
      message: `VM ${vm.name} reverted to snapshot ${input.name} (now ${domain.state}).`,
      vmId: vm.id,
      hostId: vm.hostId,
      userId: user.id,
    });
    return `Reverted to ${input.name}; the VM is ${domain.state}`;
  });
}

export async function deleteSnapshot(vm: VmRecord, name: string, ownerId: string): Promise<{ taskId: string }> {
  await requireSnapshot(vm, name);
  return runSnapshotTask(vm, 'snapshot.delete', ownerId, async (agent, progress, taskId) => {
    progress(10, `Deleting ${name}`);
    const before = (await snapshots.listForVm(vm.id)).map((s) => s.name);
    const { snapshots: facts } = await agent.request(
      'snapshot.delete',
      { uuid: vm.uuid, name },
      { timeoutMs: SNAPSHOT_TIMEOUT_MS, taskId },
    );
    await mirror(vm, facts);
    // Give back what went: libvirt may remove more than one (children merged away), or none
    // (gone already); the counter follows the mirror's rows, which a recount counts.
    const removed = removedSnapshots(before, facts);
    const projectId = (await quotas.vmShare(vm.id))?.projectId;
    if (projectId && removed > 0) await quotas.release(projectId, { Snapshots: removed });
    return `Snapshot ${name} deleted`;
  });
}

/** How many of the snapshots `before` (names) are no longer in libvirt's list `after`. */
export function removedSnapshots(before: readonly string[], after: readonly { name: string }[]): number {
  const left = new Set(after.map((s) => s.name));
  return before.filter((n) => !left.has(n)).length;
}

/**
 * NOT_FOUND before any task when the VM has no snapshot `name`: the mirror is asked first, then
 * the host (a snapshot taken outside Vireo is in libvirt's list before it is in the mirror).
 */
async function requireSnapshot(vm: VmRecord, name: string): Promise<void> {
  if ((await snapshots.listForVm(vm.id)).some((s) => s.name === name)) return;
  const { snapshots: list, stale } = await listSnapshots(vm);
  if (list.some((s) => s.name === name)) return;
  const known = list.length > 0 ? `its snapshots are ${list.map((s) => s.name).join(', ')}` : 'it has none';
  throw new VireoError(
    'NOT_FOUND',
    `VM ${vm.name} has no snapshot ${name} (${known}${stale ? ', as last read: its host does not answer' : ''}).`,
    { object: 'snapshot' },
  );
}

/**
 * Rename (Vireo's display name: libvirt's name is QEMU's tag in the qcow2 files and cannot
 * change) and describe (kept in libvirt's metadata). Quick: no task.
 */
export async function updateSnapshot(
  vm: VmRecord,
  input: { name: string; displayName?: string | null | undefined; description?: string | undefined },
): Promise<SnapshotView> {
  const have = (await snapshots.listForVm(vm.id)).find((s) => s.name === input.name);
  if (!have) throw new VireoError('NOT_FOUND', `VM ${vm.name} has no snapshot ${input.name}.`, { object: 'snapshot' });
  if (input.description !== undefined && input.description !== have.description) {
    const release = await lockVm(vm, 'snapshot.describe');
    try {
      const agent = await agentFor(vm);
      const { snapshots: facts } = await agent.request('snapshot.describe', {
        uuid: vm.uuid,
        name: input.name,
        description: input.description,
      });
      await snapshots.replaceForVm(vm.id, facts);
    } finally {
      release();
    }
  }
  if (input.displayName !== undefined) {
    const label = input.displayName?.trim() || null;
    await snapshots.setDisplayName(vm.id, input.name, label === input.name ? null : label);
  }
  await publishVm(vm.id);
  const after = (await snapshots.listForVm(vm.id)).find((s) => s.name === input.name);
  if (!after) throw new VireoError('NOT_FOUND', `Snapshot ${input.name} disappeared.`, { object: 'snapshot' });
  return toView(after);
}
