/**
 * Linked clones of a snapshot: a new VM whose disks are qcow2 overlays on the disks of a shut-off
 * VM as they were at one of its internal snapshots. Built from two things that exist already:
 * 1. once per snapshot, a disk template `<vm>@<snapshot>` whose version 1's bases are the VM's
 *    disks exported at the snapshot (agent `volume.fromSnapshot`: qemu-img convert -l, journalled
 *    so a killed agent leaves no half volume). A second clone of the same snapshot reuses it.
 * 2. the clone itself, made from that version by the normal create path (createVm, linked disks),
 *    with the source's vCPUs, memory, firmware and NIC networks, a new name, uuid and MACs.
 * The template then lives on its own: deleting it is refused while a clone uses it, like any
 * template (template-delete.ts). Which snapshot a template was made from is in its version note
 * (VM uuid, snapshot name and time): a snapshot deleted and taken again under the same name is a
 * different one, and a template that merely has the same name is never taken for it.
 */
import { randomBytes } from 'node:crypto';
import {
  DbConflictError,
  hostDomains,
  type TemplateDiskRow,
  type TemplateView,
  quotas,
  tasks,
  templates,
  vmHardware,
  vms,
} from '@vireo/db';
import { VireoError } from '@vireo/protocol';
import { createVmInput } from '../schemas/vm.ts';
import type { UserView } from '../views.ts';
import { type HostAgent, hostAgent } from './agent-router.ts';
import { listSnapshots } from './snapshots.ts';
import { startTask } from './tasks.ts';
import type { VmRecord } from './vm-access.ts';
import { lockVm } from './vm-locks.ts';
import { createVm } from './vm-service.ts';

export const LINKED_CLONE_TASK_KIND = 'vm.cloneLinked';

/** A VM's shared template name for one snapshot. */
export const snapshotTemplateName = (vmName: string, snapshot: string) => `${vmName}@${snapshot}`;

/** What marks a template as made from this very snapshot (kept in its version 1 note). */
function snapshotNote(vm: VmRecord, snapshot: string, takenAt: string): string {
  return `Disks of snapshot ${snapshot} of VM ${vm.name} (${vm.uuid}, taken ${takenAt}).`;
}

/** Throws unless the source and the snapshot can be cloned; returns what the export needs. */
async function check(source: VmRecord, input: { name: string; snapshot: string }) {
  if (source.state !== 'shutoff') {
    throw new VireoError(
      'INVALID_STATE',
      `VM ${source.name} is ${source.state}: shut it down first, a linked clone is made from a stopped VM.`,
      { object: 'vm' },
    );
  }
  if (!source.hostId || !source.hostName) {
    throw new VireoError('NOT_FOUND', `VM ${source.name} has no host.`, { object: 'host' });
  }
  if ((await vms.byName(input.name)) || (await hostDomains.nameInUseOnline(input.name))) {
    throw new VireoError('CONFLICT', `A VM named "${input.name}" already exists. Choose another name.`, {
      object: 'vm',
    });
  }
  const { snapshots, stale } = await listSnapshots(source);
  const snap = snapshots.find((s) => s.name === input.snapshot);
  if (!snap) {
    throw new VireoError('NOT_FOUND', `VM ${source.name} has no snapshot ${input.snapshot}.`, { object: 'snapshot' });
  }
  if (stale) {
    throw new VireoError('HOST_UNREACHABLE', `The host of VM ${source.name} does not answer; try again later.`, {
      object: 'host',
    });
  }
  const hw = await vmHardware.ofVm(source.id);
  const disks = (hw?.disks ?? []).filter((d) => d.device === 'disk');
  if (!hw || disks.length === 0 || disks.some((d) => !d.pool || !d.path)) {
    throw new VireoError(
      'BAD_INPUT',
      `VM ${source.name} has disks outside the storage pools: only a VM whose disks are all pool volumes can have linked clones.`,
      { object: 'vm' },
    );
  }
  const raw = disks.filter((d) => d.format !== 'qcow2');
  if (raw.length > 0) {
    throw new VireoError(
      'BAD_INPUT',
      `VM ${source.name} has raw disks (${raw.map((d) => d.volume ?? d.path).join(', ')}): a raw disk keeps no snapshot, so it cannot be cloned at one. Use a full copy.`,
      { object: 'disk' },
    );
  }
  return { hw, disks, note: snapshotNote(source, snap.name, snap.createdAt) };
}

/** The template made from this snapshot before, if any; one of the same name made otherwise is a conflict. */
async function existingTemplate(
  name: string,
  note: string,
): Promise<{ template: TemplateView; versionId: string } | null> {
  const t = await templates.byName(name);
  if (!t) return null;
  const v = await templates.latestVersion(t.id);
  if (!v || v.version !== 1 || v.note !== note) {
    throw new VireoError(
      'CONFLICT',
      `A template named "${name}" exists but was not made from this snapshot. Rename or delete it first.`,
      { object: 'template' },
    );
  }
  return { template: t, versionId: v.id };
}

/** Exports each disk at the snapshot into a new base and records the template; all or nothing. */
async function makeTemplate(
  agent: HostAgent,
  source: VmRecord,
  snapshot: string,
  checked: Awaited<ReturnType<typeof check>>,
  progress: (p: number, m: string) => void,
): Promise<string> {
  const name = snapshotTemplateName(source.name, snapshot);
  const tag = randomBytes(3).toString('hex');
  const made: { pool: string; name: string }[] = [];
  try {
    const bases: TemplateDiskRow[] = [];
    for (const [i, d] of checked.disks.entries()) {
      progress(
        5 + (60 * i) / checked.disks.length,
        `Exporting disk ${i + 1} of ${checked.disks.length} at ${snapshot}`,
      );
      const ref = { pool: d.pool ?? '', name: `snap-${source.uuid.slice(0, 8)}-${tag}-disk${i}.qcow2` };
      await agent.request(
        'volume.fromSnapshot',
        { ...ref, sourcePath: d.path ?? '', snapshot },
        { timeoutMs: 3_600_000 },
      );
      made.push(ref);
      bases.push({ position: i, pool: ref.pool, volume: ref.name, bus: d.bus, format: 'qcow2' });
    }
    const t = await templates.createDiskTemplate(
      {
        name,
        description: `Linked clones of snapshot ${snapshot} of VM ${source.name} share these disks. Deletable once no VM uses it.`,
      },
      {
        firmware: checked.hw.firmware,
        defaultVcpus: source.vcpus,
        defaultMemoryMiB: source.memoryMiB,
        note: checked.note,
        disks: bases,
        nics: checked.hw.nics.map((n) => ({ position: n.position, network: n.network, model: n.model })),
      },
    );
    return t.versions[0]?.id ?? '';
  } catch (err) {
    // A copy whose delete fails here stays a plain volume (no template names it): Storage lists it.
    for (const ref of made) await agent.request('volume.delete', ref).catch(() => undefined);
    if (err instanceof DbConflictError) {
      throw new VireoError('CONFLICT', `A template named "${name}" was made meanwhile; try again.`, {
        object: 'template',
      });
    }
    throw err;
  }
}

/** Waits for the clone's own create task (it runs in this process). */
async function settled(taskId: string): Promise<void> {
  for (;;) {
    const t = await tasks.byId(taskId);
    if (!t) throw new VireoError('NOT_FOUND', 'The create task vanished.', { object: 'task' });
    if (t.state === 'succeeded') return;
    if (t.state === 'failed') {
      throw new VireoError('INTERNAL', `Creating the clone failed: ${t.errorMessage ?? t.state}`, { object: 'vm' });
    }
    await new Promise((r) => setTimeout(r, 300));
  }
}

/**
 * A linked clone of snapshot `snapshot` of the stopped VM `source`, named `name`. Everything is
 * checked first (a coded error, nothing changed); the task then makes the snapshot's template
 * when it does not exist yet and creates the clone from it. The source is locked meanwhile.
 */
export async function linkedCloneVm(
  source: VmRecord,
  input: { name: string; snapshot: string },
  user: UserView,
): Promise<{ taskId: string }> {
  const checked = await check(source, input);
  const templateName = snapshotTemplateName(source.name, input.snapshot);
  await existingTemplate(templateName, checked.note); // a foreign one of that name: refused now
  const agent = await hostAgent(source.hostId ?? '', source.hostName ?? '');
  const release = await lockVm(source, LINKED_CLONE_TASK_KIND);
  try {
    const taskId = await startTask(
      { kind: LINKED_CLONE_TASK_KIND, vmId: source.id, hostId: source.hostId, ownerId: user.id },
      async (progress) => {
        const found = await existingTemplate(templateName, checked.note);
        let versionId = found?.versionId;
        let templateId = found?.template.id;
        if (!versionId) {
          versionId = await makeTemplate(agent, source, input.snapshot, checked, progress);
          templateId = (await templates.byName(templateName))?.id;
        }
        if (!templateId) throw new VireoError('NOT_FOUND', 'The snapshot template vanished.', { object: 'template' });
        progress(70, `Creating ${input.name}`);
        const projectId = (await quotas.vmShare(source.id))?.projectId;
        const created = await createVm(
          createVmInput.parse({
            name: input.name,
            templateId,
            templateVersionId: versionId,
            diskMode: 'linked',
            vcpus: source.vcpus,
            memoryMiB: source.memoryMiB,
            firmware: checked.hw.firmware,
            // The clone counts against the source's project (reserved by createVm).
            ...(projectId ? { projectId } : {}),
          }),
          user,
        );
        await settled(created.taskId);
        return `Linked clone ${input.name} of ${source.name}@${input.snapshot}${found ? '' : ` (template ${templateName} made)`}`;
      },
      release,
    );
    return { taskId };
  } catch (err) {
    release();
    throw err;
  }
}
