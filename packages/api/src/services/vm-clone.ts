/**
 * Full clone of a stopped VM: a new VM (new name, uuid and MACs) on the same host whose disks are
 * copies of the source's. It is one agent vm.create, so the agent's create journal covers the
 * copies: an agent killed mid-clone leaves no file or volume behind, and the row settles like any
 * interrupted create. A kernel-template VM's overlay is copied as a file, keeping its backing base;
 * its own pool volumes are copied in full (flattened) by libvirt.
 *
 * Cancel is a flag on the task row (any manager may record it): checked before the copy starts
 * and when it ends. A copy in progress is not aborted; once it is done the clone is deleted
 * again, disks and row, and the task ends CANCELLED.
 *
 * Not done here: linked clones (of a snapshot: vm-linked-clone.ts), clones onto another host, and a
 * cloud-init seed (the clone has none: its guest was set up as the source).
 */
import { randomUUID } from 'node:crypto';
import { VireoError } from '@vireo/protocol';
import { DbConflictError, hostDomains, quotas, tasks, templates, type VmDiskRow, vmHardware, vms } from '@vireo/db';
import { managerEnv } from '../env.ts';
import type { UserView } from '../views.ts';
import { hostAgent } from './agent-router.ts';
import { publish } from './bus.ts';
import { retryClashFor } from './domain-facts.ts';
import { startTask } from './tasks.ts';
import type { VmRecord } from './vm-access.ts';
import { applyCreated, type HardwarePlan, hardwareRequest, ownVolumes, recordHardware } from './vm-hardware.ts';
import { vmCost } from './quotas/policy.ts';
import { createVmRow } from './quotas/reserve.ts';
import { lockVm } from './vm-locks.ts';
import { requestCreate } from './vm-service.ts';
import { publishVm } from './views.ts';
import { refuseIfInMaintenance } from './host-maintenance-guard.ts';

export const CLONE_TASK_KIND = 'vm.clone';

function cancelledError(): VireoError {
  return new VireoError('CANCELLED', 'Clone cancelled; its disks and record were removed.', { object: 'vm' });
}

/** Each source drive as the clone gets it: own volumes copied, read-only attachments shared. */
function cloneDisks(source: VmRecord, uuid: string, rows: VmDiskRow[], overlay: boolean): HardwarePlan['disks'] {
  return rows.map((d): HardwarePlan['disks'][number] => {
    const base = { ...d, path: null, sizeBytes: null };
    if (overlay && d.position === 0) return { ...base, owned: false, provision: { kind: 'existing' } };
    if (!d.pool || !d.volume) return { ...base, provision: { kind: 'empty' } };
    if (d.owned) {
      return {
        ...base,
        volume: `${uuid}-disk${d.position}.${d.format}`,
        owned: true,
        provision: { kind: 'copyFrom', source: { pool: d.pool, volume: d.volume } },
      };
    }
    if (d.readOnly) return { ...base, provision: { kind: 'existing' } };
    throw new VireoError(
      'INVALID_STATE',
      `VM ${source.name} has volume ${d.pool}/${d.volume} attached writable but not its own: a clone cannot share it. Detach it first.`,
      { object: 'disk' },
    );
  });
}

export async function cloneVm(
  source: VmRecord,
  input: { name: string },
  user: UserView,
): Promise<{ taskId: string; vmId: string }> {
  if (source.state !== 'shutoff') {
    throw new VireoError(
      'INVALID_STATE',
      `VM ${source.name} is ${source.state}: shut it down first, a clone is made from a stopped VM.`,
      { object: 'vm' },
    );
  }
  if (!source.hostId || !source.hostName) {
    throw new VireoError('NOT_FOUND', `VM ${source.name} has no host.`, { object: 'host' });
  }
  // The clone is made and defined on the source's host.
  await refuseIfInMaintenance(source.hostId, `clone VM ${source.name} (the clone is made on its host)`);
  const taken = () =>
    new VireoError('CONFLICT', `A VM named "${input.name}" already exists. Choose another name.`, { object: 'vm' });
  if ((await vms.byName(input.name)) || (await hostDomains.nameInUseOnline(input.name))) throw taken();
  const template = await templates.byId(source.templateId);
  const hw = await vmHardware.ofVm(source.id);
  if (!template || !hw) throw new VireoError('NOT_FOUND', 'No such VM.', { object: 'vm' });
  const kernel =
    template.kernelPath && template.initrdPath && template.diskPath && source.diskPath
      ? { kernelPath: template.kernelPath, initrdPath: template.initrdPath, diskPath: template.diskPath }
      : undefined;
  const uuid = randomUUID();
  const plan: HardwarePlan = {
    firmware: hw.firmware,
    overlay: Boolean(kernel),
    disks: cloneDisks(source, uuid, hw.disks, Boolean(kernel)),
    nics: hw.nics.map((n) => ({
      position: n.position,
      network: n.network,
      model: n.model,
      securityGroupId: n.securityGroupId ?? null,
    })),
  };
  const hostId = source.hostId;
  const agent = await hostAgent(hostId, source.hostName);

  // The source stays stopped while it is copied.
  const releaseSource = await lockVm(source, CLONE_TASK_KIND);
  let vm: VmRecord;
  try {
    // The clone counts against the source's project, reserved before anything is copied.
    const share = await quotas.vmShare(source.id);
    const projectId = share?.projectId ?? null;
    const cost = { ...vmCost(source), DiskGiB: share?.reservedDiskGiB ?? 0 };
    // Charged in the transaction that records the clone (createVmRow).
    vm = await createVmRow({
      uuid,
      name: input.name,
      hostId,
      templateId: source.templateId,
      templateVersionId: null, // full copies: nothing of a template version is used
      ownerId: user.id,
      vcpus: source.vcpus,
      memoryMiB: source.memoryMiB,
      projectId,
      reservedDiskGiB: projectId ? cost.DiskGiB : 0,
    });
  } catch (err) {
    releaseSource();
    if (err instanceof DbConflictError) throw taken();
    throw err;
  }
  const forget = async () => {
    await vms.delete(vm.id);
    await retryClashFor(vm.name);
    publish({ kind: 'vmRemoved', vmId: vm.id, ownerId: vm.ownerId });
  };
  let releaseClone: () => void = () => {};
  const release = () => {
    releaseClone();
    releaseSource();
  };
  let taskId: string;
  try {
    const nics = await recordHardware(vm.id, plan);
    await publishVm(vm.id);
    releaseClone = await lockVm(vm, CLONE_TASK_KIND);
    taskId = await startTask(
      { kind: CLONE_TASK_KIND, vmId: vm.id, hostId, ownerId: user.id },
      async (progress, taskId) => {
        if (await tasks.cancelRequested(taskId)) {
          await forget();
          throw cancelledError();
        }
        progress(5, `Copying the disks of ${source.name}`);
        const created = await requestCreate(
          agent,
          vm,
          {
            template: kernel && { ...kernel, cmdline: template.cmdline, copyOf: source.diskPath ?? '' },
            hardware: hardwareRequest(plan, nics),
          },
          taskId,
          (p, m) => progress(5 + p * 0.85, m),
        );
        if (await tasks.cancelRequested(taskId)) {
          progress(92, 'Cancelled: removing the copies');
          await agent.request(
            'vm.delete',
            { uuid: vm.uuid, ownVolumes: await ownVolumes(vm.id) },
            { timeoutMs: managerEnv().VIREO_DISK_OPERATION_TIMEOUT_S * 1000, taskId },
          );
          await forget();
          throw cancelledError();
        }
        if (created.diskPath) await vms.setDiskPath(vm.id, created.diskPath);
        await applyCreated(vm.id, created.hardware);
        await vms.updateState(vm.uuid, created.domain.state, created.domain.reason ?? null);
        await publishVm(vm.id);
        return `Cloned from ${source.name}`;
      },
      release,
    );
  } catch (err) {
    release();
    await forget();
    throw err;
  }
  return { taskId, vmId: vm.id };
}

/** Asks a clone task to stop; its owner or an admin may. */
export async function cancelClone(taskId: string, user: UserView): Promise<{ cancelled: boolean }> {
  const task = await tasks.byId(taskId);
  if (!task || (user.role !== 'admin' && task.ownerId !== user.id)) {
    throw new VireoError('NOT_FOUND', 'No such task, or it is not yours.', { object: 'task' });
  }
  if (task.kind !== CLONE_TASK_KIND) {
    throw new VireoError('INVALID_STATE', 'Only a clone can be cancelled.', { object: 'task' });
  }
  return { cancelled: await tasks.requestCancel(taskId) };
}
