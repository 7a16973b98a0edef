/**
 * VM operations. Each checks what it can up front (a clear error, nothing changed), then runs
 * as a durable task that drives the VM's host agent. The inventory follows libvirt: results and
 * events from the agent set the state, not guesses made here. Task messages never name hosts
 * (a task's owner may not be an admin); events, which only admins read, do.
 */
import { randomUUID } from 'node:crypto';
import {
  type AgentParams,
  type AgentResult,
  type DomainInfo,
  type FileError,
  UEFI_MIN_MEMORY_MIB,
  VireoError,
} from '@vireo/protocol';
import {
  affinityGroups,
  DbConflictError,
  events,
  hostDomains,
  INTERRUPTED_REASON,
  type TemplateView,
  templates,
  type VmNicRow,
  projects,
  tasks,
  vms,
} from '@vireo/db';
import { managerEnv } from '../env.ts';
import type { CreateVmInput, ListVmsInput } from '../schemas/vm.ts';
import type { UserView, VmView } from '../views.ts';
import { type HostAgent, hostAgent } from './agent-router.ts';
import { retryClashFor } from './domain-facts.ts';
import { conflictingHosts } from './vm-reconcile.ts';
import { publish } from './bus.ts';
import { refuseIfInMaintenance } from './host-maintenance-guard.ts';
import { applyDefaultLease, refuseIfLeaseExpired } from './lease-service.ts';
import { chosenHost, placeVm } from './placement.ts';
import { type ProgressFn, startTask } from './tasks.ts';
import type { VmRecord } from './vm-access.ts';
import {
  applyCreated,
  type HardwarePlan,
  hardwareRequest,
  ownVolumes,
  planHardware,
  recordHardware,
  type TemplateSource,
} from './vm-hardware.ts';
import { can, assertCan } from './permissions/can.ts';
import { checkCreateChoicesOffered } from './permissions/offered.ts';
import { publishedVisibility } from './permissions/visibility.ts';
import { vmCost } from './quotas/policy.ts';
import { createVmRow } from './quotas/reserve.ts';
import { templateDiskBytes } from './quotas/template-disk.ts';
import { lockVm } from './vm-locks.ts';
import { checkNicGroups, hostsForNics } from './vm-network.ts';
import { recordStarts } from './vm-uptime.ts';
import { publishVm, toVmView, vmForViewer } from './views.ts';
import { hostNameShown, mayCreateOutsideProjects, seesOnlyOwn, vmVisibility } from './permissions/visibility.ts';

/**
 * One page of the VMs this user may see (vmVisibility: filtered by the database). A user who
 * sees only its own VMs asking for another owner's is refused rather than answered with an
 * empty page.
 */
export async function listVmsFor(user: UserView, input: ListVmsInput): Promise<{ rows: VmView[]; total: number }> {
  const visibleTo = await vmVisibility(user);
  if (seesOnlyOwn(visibleTo) && input.ownerId !== undefined && input.ownerId !== user.id) {
    throw new VireoError('FORBIDDEN', 'Only administrators can list other users’ VMs.', { object: 'vm' });
  }
  const [page, showsHost] = await Promise.all([
    vms.page({ ...input, name: input.name || undefined, visibleTo }),
    hostNameShown(user),
  ]);
  return { rows: page.rows.map((row) => vmForViewer(toVmView(row), showsHost)), total: page.total };
}

/** One VM as `user` sees it (the caller checked it may view the VM). */
export async function vmView(vmId: string, user: Pick<UserView, 'id' | 'role'>): Promise<VmView> {
  const vm = await vms.byId(vmId);
  if (!vm) throw new VireoError('NOT_FOUND', 'No such VM.', { object: 'vm' });
  return vmForViewer(toVmView(vm), await hostNameShown(user));
}

function nameTaken(name: string): VireoError {
  return new VireoError('CONFLICT', `A VM named "${name}" already exists. Choose another name.`, { object: 'vm' });
}

/**
 * `approval`: the create an approver approved (services/quotas/requests.ts): a restricted
 * template is allowed, and `force` reserves the quota past its limits.
 */
export async function createVm(
  input: CreateVmInput,
  user: UserView,
  approval: { force: boolean } | null = null,
): Promise<{ taskId: string; vmId: string }> {
  const template = await templates.byId(input.templateId);
  if (!template)
    throw new VireoError('NOT_FOUND', 'That template does not exist (any more). Choose another.', {
      object: 'template',
    });
  await checkCreateAllowed(input, user, approval !== null);
  // After the checks of who may create: a name in use is told only to who could have made the VM.
  if ((await vms.byName(input.name)) || (await hostDomains.nameInUseOnline(input.name))) throw nameTaken(input.name);
  await checkNicGroups(input);
  const source = await templateSource(template, input);
  const kernel = kernelBoot(template);
  const groupIds = await affinityGroupsFor(input, user);
  const placement = {
    memoryMiB: input.memoryMiB,
    allowedHostIds: await hostsForNics([...(source?.nics ?? []), ...input.nics].map((n) => n.network)),
    groupIds,
  };
  // The project's quota is charged in the transaction that records the VM (createVmRow); once
  // recorded, deleting its row gives it back (vms.delete). The template's disks count at their
  // virtual size (read from a host: only for a VM in a project, the only one with a quota).
  const cost = vmCost(input, input.projectId ? await templateDiskBytes(template, source) : 0);
  let decision = await placeVm(placement);
  let host = chosenHost(decision, placement);
  let agent: HostAgent = await hostAgent(host.id, host.name);
  let vm: VmRecord;
  try {
    vm = (await createVmRow(
      {
        uuid: randomUUID(),
        name: input.name,
        hostId: host.id,
        templateId: template.id,
        templateVersionId: source?.versionId ?? null,
        ownerId: user.id,
        vcpus: input.vcpus,
        memoryMiB: input.memoryMiB,
        projectId: input.projectId ?? null,
        reservedDiskGiB: input.projectId ? cost.DiskGiB : 0,
      },
      { force: approval?.force ?? false },
    )) as VmRecord;
  } catch (err) {
    if (err instanceof DbConflictError) throw nameTaken(input.name);
    throw err;
  }
  // A VM created in a project with a lease policy gets the project's default lease.
  await applyDefaultLease(vm.id);
  let plan: HardwarePlan;
  let nics: VmNicRow[];
  try {
    // A member at once: a create placed after this one sees where this VM goes.
    if (groupIds.length > 0) await affinityGroups.addVms(groupIds[0] as string, [vm.id]);
    // A create placed at the same moment did not see this one, nor this one it: now both are
    // recorded, the younger places again (nothing is on a host yet).
    for (let tries = 0; groupIds.length > 0 && (await affinityGroups.yieldsToOlderMember(vm.id)); tries++) {
      if (tries === 3) {
        throw new VireoError('BUSY', 'Other VMs of its affinity group are being placed right now; try again.', {
          object: 'vm',
        });
      }
      decision = await placeVm({ ...placement, vmId: vm.id });
      host = chosenHost(decision, placement);
      agent = await hostAgent(host.id, host.name);
      await vms.setHost(vm.id, host.id);
      vm = { ...vm, hostId: host.id, hostName: host.name };
    }
    plan = planHardware(vm.uuid, input, user, source);
    nics = await recordHardware(vm.id, plan);
  } catch (err) {
    await vms.delete(vm.id);
    throw err;
  }
  await publishVm(vm.id);

  // Held until the task ends: the host's full state must not settle a VM still being created.
  const release = await lockVm(vm, 'vm.create');
  let taskId: string;
  try {
    taskId = await startTask(
      { kind: 'vm.create', vmId: vm.id, hostId: host.id, ownerId: user.id },
      async (progress, taskId) => {
        progress(5, 'Creating');
        const created = await requestCreate(
          agent,
          vm,
          {
            template: kernel && {
              kernelPath: kernel.kernelPath,
              initrdPath: kernel.initrdPath,
              diskPath: kernel.diskPath,
              cmdline: template.cmdline,
            },
            hardware: hardwareRequest(plan, nics),
          },
          taskId,
          (p, m) => progress(5 + p * 0.7, m),
        );
        // The host starts the VM while its creation is recorded here: the two are independent,
        // and the rows are written in the same order as before (start's state last).
        const starting = input.start ? agent.request('vm.start', { uuid: vm.uuid }) : null;
        starting?.catch(() => {}); // awaited below, after the records
        if (created.diskPath) await vms.setDiskPath(vm.id, created.diskPath);
        await applyCreated(vm.id, created.hardware);
        await vms.updateState(vm.uuid, created.domain.state, created.domain.reason ?? null);
        await events.add({
          severity: 'info',
          kind: 'vm.created',
          message: `VM ${vm.name} created on ${host.name}.`,
          vmId: vm.id,
          hostId: host.id,
          userId: user.id,
        });
        await publishVm(vm.id);
        if (!starting) return 'Created';
        progress(85, 'Starting');
        const started = await starting;
        await applyDomain(vm, started.domain);
        return 'Created and started';
      },
      release,
    );
    // Why this host, for the VM page (admins): every host's exclusion reason or score.
    await tasks.setPlacement(taskId, JSON.stringify(decision));
  } catch (err) {
    release();
    // No task row, so nothing will ever move this VM out of "creating": take it back.
    await vms.delete(vm.id);
    await retryClashFor(vm.name);
    publish({ kind: 'vmRemoved', vmId: vm.id, ownerId: vm.ownerId });
    throw err;
  }
  return { taskId, vmId: vm.id };
}

/**
 * A VM in a project needs 'create' on it; a restricted template is for admins and the project's
 * owners (others submit a request: vmRequest.submit), unless an approver approved this create.
 */
async function checkCreateAllowed(input: CreateVmInput, user: UserView, approved: boolean): Promise<void> {
  if (approved) return;
  if (input.projectId) await assertCan(user, 'create', { kind: 'project', id: input.projectId });
  else if (!(await mayCreateOutsideProjects(user))) {
    throw new VireoError(
      'FORBIDDEN',
      'Choose one of your projects for this VM: a VM you create counts against its quota.',
      { object: 'project' },
    );
  }
  await checkTemplateOffered(input, user);
  await checkCreateChoicesOffered(user, input);
  if (user.role === 'admin' || !(await templates.isRestricted(input.templateId))) return;
  if (input.projectId && (await can(user, 'manage', { kind: 'project', id: input.projectId }))) return;
  throw new VireoError(
    'FORBIDDEN',
    'That template is restricted: submit the VM as a request, and an approver will create it.',
    { object: 'template' },
  );
}

/**
 * A template the user may not see is missing to it; in a project, only the templates published
 * to that project are offered (administrators use any).
 */
export async function checkTemplateOffered(input: CreateVmInput, user: UserView): Promise<void> {
  if (user.role === 'admin') return;
  const missing = () =>
    new VireoError('NOT_FOUND', 'That template does not exist (any more). Choose another.', { object: 'template' });
  const visible = await publishedVisibility(user, 'template');
  if (!('all' in visible) && !visible.ids.includes(input.templateId)) throw missing();
  if (input.projectId && !(await projects.publishedTo('template', input.templateId)).includes(input.projectId)) {
    throw new VireoError(
      'FORBIDDEN',
      'That template is not published to this project. Choose one the project offers, or ask an administrator to publish it.',
      { object: 'template' },
    );
  }
}

/** The affinity group the new VM joins (admins choose groups), as placement's group ids. */
async function affinityGroupsFor(input: CreateVmInput, user: UserView): Promise<string[]> {
  if (!input.affinityGroupId) return [];
  if (user.role !== 'admin') {
    throw new VireoError('FORBIDDEN', 'Only administrators can put VMs in affinity groups.', { object: 'vm' });
  }
  const group = await affinityGroups.byId(input.affinityGroupId);
  if (!group)
    throw new VireoError('NOT_FOUND', 'That affinity group does not exist (any more).', { object: 'affinityGroup' });
  return [group.id];
}

/** A kernel template's files, or undefined for a disk template. */
function kernelBoot(t: TemplateView): { kernelPath: string; initrdPath: string; diskPath: string } | undefined {
  if (!t.kernelPath || !t.initrdPath || !t.diskPath) return undefined;
  return { kernelPath: t.kernelPath, initrdPath: t.initrdPath, diskPath: t.diskPath };
}

/** The disk template version a VM is made from (the latest unless one is chosen). */
async function templateSource(
  template: TemplateView,
  input: CreateVmInput,
): Promise<(TemplateSource & { versionId: string }) | undefined> {
  if (kernelBoot(template)) {
    if (input.templateVersionId) {
      throw new VireoError('BAD_INPUT', 'That template has no versions.', { object: 'template' });
    }
    return undefined;
  }
  const version = input.templateVersionId
    ? await templates.versionById(input.templateVersionId)
    : await templates.latestVersion(template.id);
  if (!version || version.templateId !== template.id) {
    throw new VireoError('NOT_FOUND', 'That template version does not exist. Choose another.', {
      object: 'template',
    });
  }
  const firmware = version.firmware === 'uefi' ? 'uefi' : 'bios';
  if (firmware === 'uefi' && input.memoryMiB < UEFI_MIN_MEMORY_MIB) {
    throw new VireoError('BAD_INPUT', `UEFI (OVMF) needs at least ${UEFI_MIN_MEMORY_MIB} MiB of memory.`, {
      object: 'vm',
    });
  }
  return { versionId: version.id, firmware, disks: version.disks, nics: version.nics, diskMode: input.diskMode };
}

/**
 * A create the agent refused left nothing on the host (the agent cleans up), so the record goes.
 * If the host was lost mid-way we cannot know: keep the record as "unknown" for the agent's
 * full state to settle on reconnect, rather than lose a VM that may exist.
 */
/** The host may have done it: lost on the way, no answer in time, or the host could not tell. */
function outcomeUnknown(err: unknown): boolean {
  return (
    VireoError.is(err, 'HOST_UNREACHABLE') || VireoError.is(err, 'TIMEOUT') || VireoError.is(err, 'OUTCOME_UNKNOWN')
  );
}

/**
 * Asks the VM's host to define it and make its disks (create and clone alike), with the disk
 * operations' timeout; when that fails, the half-made VM is forgotten before the error goes on.
 */
export async function requestCreate(
  agent: HostAgent,
  vm: VmRecord,
  spec: Pick<AgentParams<'vm.create'>['spec'], 'template' | 'hardware'>,
  taskId: string,
  onProgress: (percent: number, message?: string) => void,
): Promise<AgentResult<'vm.create'>> {
  try {
    return await agent.request(
      'vm.create',
      { spec: { uuid: vm.uuid, name: vm.name, vcpus: vm.vcpus, memoryMiB: vm.memoryMiB, ...spec } },
      { timeoutMs: managerEnv().VIREO_DISK_OPERATION_TIMEOUT_S * 1000, taskId, onProgress },
    );
  } catch (err) {
    await forgetFailedCreate(vm, err);
    throw err;
  }
}

export async function forgetFailedCreate(vm: VmRecord, err: unknown): Promise<void> {
  if (outcomeUnknown(err)) {
    await vms.updateState(vm.uuid, 'unknown', INTERRUPTED_REASON.createHostLost);
    await publishVm(vm.id);
    return;
  }
  await vms.delete(vm.id);
  await retryClashFor(vm.name);
  publish({ kind: 'vmRemoved', vmId: vm.id, ownerId: vm.ownerId });
}

export async function applyDomain(vm: VmRecord, domain: DomainInfo): Promise<void> {
  await vms.updateState(vm.uuid, domain.state, domain.reason ?? null);
  await recordStarts([{ uuid: vm.uuid, domain }]);
  await publishVm(vm.id);
}

export async function runVmTask(
  vm: VmRecord,
  kind: string,
  user: UserView,
  work: (progress: ProgressFn, taskId: string) => Promise<string>,
): Promise<string> {
  const release = await lockVm(vm, kind);
  try {
    return await startTask({ kind, vmId: vm.id, hostId: vm.hostId, ownerId: user.id }, work, release);
  } catch (err) {
    release(); // the task never started
    throw err;
  }
}

/** Common checks for a lifecycle operation: the VM's state allows it and its host is connected. */
export async function prepare(vm: VmRecord, allowed: readonly string[], verb: string) {
  if (!allowed.includes(vm.state)) {
    throw new VireoError('INVALID_STATE', `Cannot ${verb} VM ${vm.name} while it is ${vm.state}.`, { object: 'vm' });
  }
  if (!vm.hostId || !vm.hostName) throw new VireoError('NOT_FOUND', `VM ${vm.name} has no host.`, { object: 'host' });
  return hostAgent(vm.hostId, vm.hostName);
}

export async function startVm(vm: VmRecord, user: UserView): Promise<{ taskId: string }> {
  refuseIfLeaseExpired(vm, 'start');
  const agent = await prepare(vm, ['shutoff', 'crashed'], 'start');
  await refuseIfInMaintenance(vm.hostId, `start VM ${vm.name}`);
  const taskId = await runVmTask(vm, 'vm.start', user, async () => {
    const { domain } = await agent.request('vm.start', { uuid: vm.uuid });
    await applyDomain(vm, domain);
    return 'Started';
  });
  return { taskId };
}

export async function shutdownVm(vm: VmRecord, user: UserView): Promise<{ taskId: string }> {
  const agent = await prepare(vm, ['running', 'paused', 'shutdown'], 'shut down');
  const timeoutMs = managerEnv().VIREO_SHUTDOWN_TIMEOUT_S * 1000;
  const taskId = await runVmTask(vm, 'vm.shutdown', user, async (progress) => {
    progress(10, 'Sent ACPI shutdown; waiting for the guest');
    const { domain } = await agent.request(
      'vm.shutdown',
      { uuid: vm.uuid, timeoutMs },
      { timeoutMs: timeoutMs + 15_000 },
    );
    await applyDomain(vm, domain);
    return 'The guest shut down';
  });
  return { taskId };
}

export async function forceOffVm(vm: VmRecord, user: UserView): Promise<{ taskId: string }> {
  const agent = await prepare(vm, ['running', 'paused', 'shutdown', 'crashed', 'pmsuspended', 'unknown'], 'force off');
  const taskId = await runVmTask(vm, 'vm.forceOff', user, async () => {
    const { domain } = await agent.request('vm.forceOff', { uuid: vm.uuid });
    await applyDomain(vm, domain);
    return 'Powered off';
  });
  return { taskId };
}

export async function deleteVm(
  vm: VmRecord,
  user: UserView,
  opts: { keepDisks?: boolean } = {},
): Promise<{ taskId: string }> {
  const agent = await prepare(vm, ['shutoff', 'crashed', 'unknown'], 'delete');
  // Its disk lives where every host can see it: while another host has its domain (moved or
  // started there by hand), deleting here would pull the disk from under that copy.
  const elsewhere = (await hostDomains.hostsWith(vm.uuid)).filter((id) => id !== vm.hostId);
  if (elsewhere.length > 0 || conflictingHosts(vm.id).length > 0) {
    throw new VireoError(
      'CONFLICT',
      `Another host has VM ${vm.name} defined. Adopt it there, or remove that definition (or that host, if it is gone for good), before deleting it.`,
      { object: 'vm' },
    );
  }
  const previous = { state: vm.state, reason: vm.stateReason };
  const taskId = await runVmTask(vm, 'vm.delete', user, async (_progress, taskId) => {
    await vms.updateState(vm.uuid, 'deleting', null);
    await publishVm(vm.id);
    let result: AgentResult<'vm.delete'>;
    try {
      result = await agent.request(
        'vm.delete',
        { uuid: vm.uuid, ownVolumes: await ownVolumes(vm.id), ...(opts.keepDisks ? { keepDisks: true } : {}) },
        { timeoutMs: managerEnv().VIREO_DISK_OPERATION_TIMEOUT_S * 1000, taskId },
      );
    } catch (err) {
      // The record stays. If the host refused, it is as it was; if the host was lost mid-way,
      // nobody knows what is left until its full state arrives on reconnect.
      const lost = outcomeUnknown(err);
      await vms.updateState(
        vm.uuid,
        lost ? 'unknown' : previous.state,
        lost ? INTERRUPTED_REASON.deleteHostLost : previous.reason,
      );
      await publishVm(vm.id);
      throw err;
    }
    // The domain is gone: the VM is deleted even if some of its files are not (they are retried
    // by the agent's journal and the orphan sweep), never shown as a VM that no longer exists.
    const deleted = result.deletedDisks;
    await vms.delete(vm.id);
    await retryClashFor(vm.name);
    await events.add({
      severity: 'info',
      kind: 'vm.deleted',
      message: `VM ${vm.name} deleted (${deleted.length} disk${deleted.length === 1 ? '' : 's'} removed).`,
      hostId: vm.hostId,
      userId: user.id,
    });
    publish({ kind: 'vmRemoved', vmId: vm.id, ownerId: vm.ownerId });
    if (result.notRemoved?.length) throw await filesLeftBehind(vm, user, result.notRemoved);
    const kept = result.keptDisks?.length ?? 0;
    return `Deleted with ${deleted.length} disk${deleted.length === 1 ? '' : 's'}${kept ? `; kept ${kept}` : ''}`;
  });
  return { taskId };
}

/** Records which files a delete left on the host and why; the error the delete task fails with. */
async function filesLeftBehind(vm: VmRecord, user: UserView, left: FileError[]): Promise<VireoError> {
  const list = left.map((f) => `${f.path}: ${f.message}`).join('; ');
  await events.add({
    severity: 'error',
    kind: 'vm.filesLeft',
    message: `VM ${vm.name} was deleted, but ${left.length} of its file(s) could not be removed (${list}). They are retried automatically.`,
    hostId: vm.hostId,
    userId: user.id,
  });
  const [first] = left;
  return new VireoError(
    first?.code ?? 'STORAGE_ERROR',
    `VM ${vm.name} was deleted, but ${left.length} of its file(s) could not be removed: ${list}`,
    { object: 'disk' },
  );
}
