/**
 * Disk templates: each version names pool volumes (its bases) that new VMs clone (linked, the
 * default) or copy. A version is never changed: publishing makes a new version pointing at new
 * bases, so VMs of older versions keep theirs (a base of any version cannot be deleted).
 */
import type { PermissionUser } from './permissions/can.ts';
import { publishedVisibility } from './permissions/visibility.ts';
import { randomBytes } from 'node:crypto';
import { DbConflictError, type TemplateDiskRow, type TemplateVersionInput, templates, vmHardware } from '@vireo/db';
import { VireoError } from '@vireo/protocol';
import type { TemplateVersionSpec } from '../schemas/template.ts';
import type { TemplateListItem, UserView } from '../views.ts';
import { hostAgent } from './agent-router.ts';
import { needPool } from './storage-pools.ts';
import { startTask } from './tasks.ts';
import type { VmRecord } from './vm-access.ts';
import { lockVm } from './vm-locks.ts';

async function versionInput(spec: TemplateVersionSpec): Promise<TemplateVersionInput> {
  for (const pool of new Set(spec.disks.map((d) => d.pool))) await needPool(pool);
  return {
    firmware: spec.firmware,
    defaultVcpus: spec.defaultVcpus,
    defaultMemoryMiB: spec.defaultMemoryMiB,
    note: spec.note,
    disks: spec.disks.map((d, position) => ({ position, ...d })),
    nics: spec.nics.map((n, position) => ({ position, ...n })),
  };
}

export async function listTemplates(user: PermissionUser): Promise<TemplateListItem[]> {
  const visible = await publishedVisibility(user, 'template');
  // Host paths of a kernel template's files stay on the server: browsers need only what they show.
  return (await templates.listWithVersions('all' in visible ? {} : { ids: visible.ids })).map((t) => ({
    id: t.id,
    name: t.name,
    description: t.description,
    kind: t.kernelPath ? 'kernel' : 'disk',
    defaultVcpus: t.versions[0]?.defaultVcpus ?? t.defaultVcpus,
    defaultMemoryMiB: t.versions[0]?.defaultMemoryMiB ?? t.defaultMemoryMiB,
    versions: t.versions.map((v) => ({
      id: v.id,
      version: v.version,
      firmware: v.firmware === 'uefi' ? 'uefi' : 'bios',
      defaultVcpus: v.defaultVcpus,
      defaultMemoryMiB: v.defaultMemoryMiB,
      note: v.note,
      createdAt: v.createdAt.toISOString(),
      disks: v.disks,
      nics: v.nics,
      vmCount: v.vmCount,
    })),
  }));
}

export async function createTemplate(input: {
  name: string;
  description: string;
  version: TemplateVersionSpec;
}): Promise<{ templateId: string; versionId: string }> {
  if (await templates.byName(input.name)) throw nameTaken(input.name);
  try {
    const t = await templates.createDiskTemplate(
      { name: input.name, description: input.description },
      await versionInput(input.version),
    );
    return { templateId: t.id, versionId: t.versions[0]?.id ?? '' };
  } catch (err) {
    if (err instanceof DbConflictError) throw nameTaken(input.name);
    throw err;
  }
}

/** Publishes the next version of a disk template; its older versions and their bases stay. */
export async function publishVersion(input: {
  templateId: string;
  version: TemplateVersionSpec;
}): Promise<{ versionId: string; version: number }> {
  const t = await templates.byId(input.templateId);
  if (!t) throw new VireoError('NOT_FOUND', 'No such template.', { object: 'template' });
  if (t.kernelPath) {
    throw new VireoError('BAD_INPUT', 'A kernel template has no versions.', { object: 'template' });
  }
  try {
    const v = await templates.addVersion(t.id, await versionInput(input.version));
    return { versionId: v.id, version: v.version };
  } catch (err) {
    if (err instanceof DbConflictError) {
      throw new VireoError('CONFLICT', 'Another version was published at the same time; try again.', {
        object: 'template',
      });
    }
    throw err;
  }
}

function nameTaken(name: string): VireoError {
  return new VireoError('CONFLICT', `A template named "${name}" already exists.`, { object: 'template' });
}

/**
 * A template (or the next version of one) from a stopped VM, the way oVirt does it: each of the
 * VM's pool disks is copied in full (a linked clone's chain flattened) into a new base volume
 * named after the template; the VM stays as it was. Refused while the VM is not shut off; the
 * VM is locked meanwhile so nobody starts it. If a copy or the record fails, the bases already
 * made are deleted again: the template appears whole or not at all.
 */
export async function templateFromVm(
  vm: VmRecord,
  input: { name?: string; templateId?: string; description?: string },
  user: UserView,
): Promise<{ taskId: string }> {
  if (vm.state !== 'shutoff') {
    throw new VireoError('INVALID_STATE', 'Shut the VM down first: a template is made from a stopped VM.', {
      object: 'vm',
    });
  }
  const hw = await vmHardware.ofVm(vm.id);
  const disks = (hw?.disks ?? []).filter((d) => d.device === 'disk');
  if (disks.length === 0 || disks.some((d) => !d.pool || !d.path)) {
    throw new VireoError('BAD_INPUT', 'Only a VM whose disks are all pool volumes can become a template.', {
      object: 'vm',
    });
  }
  const target = input.templateId ? await templates.byId(input.templateId) : null;
  if (input.templateId && (!target || target.kernelPath)) {
    throw new VireoError('NOT_FOUND', 'No such disk template.', { object: 'template' });
  }
  const name = target?.name ?? input.name;
  if (!name) throw new VireoError('BAD_INPUT', 'Name the new template.', { object: 'template' });
  if (!target && (await templates.byName(name))) throw nameTaken(name);
  if (!vm.hostId) throw new VireoError('INVALID_STATE', 'The VM is on no host.', { object: 'vm' });
  const hostId = vm.hostId;
  const agent = await hostAgent(hostId, vm.hostName ?? hostId);
  const tag = randomBytes(3).toString('hex');
  const release = await lockVm(vm, 'template.fromVm');
  try {
    return {
      taskId: await startTask(
        { kind: 'template.fromVm', vmId: vm.id, hostId, ownerId: user.id },
        async (progress) => {
          const made: { pool: string; name: string }[] = [];
          try {
            const bases: TemplateDiskRow[] = [];
            for (const [i, d] of disks.entries()) {
              progress(5 + (80 * i) / disks.length, `Copying disk ${i + 1} of ${disks.length}`);
              const ref = { pool: d.pool ?? '', name: `${name}-${tag}-disk${i}.${d.format}` };
              await agent.request(
                'volume.clone',
                { ...ref, sourcePath: d.path ?? '', mode: 'full', format: d.format },
                { timeoutMs: 3_600_000 },
              );
              made.push(ref);
              bases.push({ position: i, pool: ref.pool, volume: ref.name, bus: d.bus, format: d.format });
            }
            const version: TemplateVersionInput = {
              firmware: hw?.firmware ?? 'bios',
              defaultVcpus: vm.vcpus,
              defaultMemoryMiB: vm.memoryMiB,
              note: `from VM ${vm.name}`,
              disks: bases,
              nics: (hw?.nics ?? []).map((n) => ({ position: n.position, network: n.network, model: n.model })),
            };
            if (target) {
              const v = await templates.addVersion(target.id, version);
              return `Template ${name} v${v.version} made from VM ${vm.name}.`;
            }
            await templates.createDiskTemplate({ name, description: input.description ?? '' }, version);
            return `Template ${name} made from VM ${vm.name}.`;
          } catch (err) {
            const left: { pool: string; name: string }[] = [];
            for (const ref of made) await agent.request('volume.delete', ref).catch(() => left.push(ref));
            if (left.length > 0) deleteWhenBack(hostId, vm.hostName ?? hostId, left);
            throw err;
          }
        },
        release,
      ),
    };
  } catch (err) {
    release();
    throw err;
  }
}

/**
 * Copies a failed template.fromVm made whose delete failed too (the host's agent is gone: the
 * copy being made when it died is its own journal's to delete): retried every 5 s for 15 min,
 * until the agent is back. Kept in this manager's memory only; one restarted meanwhile leaves
 * them as plain volumes (not bases: deletable under Storage).
 */
function deleteWhenBack(hostId: string, hostName: string, refs: { pool: string; name: string }[]): void {
  let left = [...refs];
  const until = Date.now() + 15 * 60_000;
  const retry = async () => {
    const still: typeof left = [];
    for (const ref of left) {
      try {
        await (await hostAgent(hostId, hostName)).request('volume.delete', ref);
      } catch {
        still.push(ref);
      }
    }
    left = still;
    if (left.length > 0 && Date.now() < until) setTimeout(() => void retry(), 5000).unref();
  };
  setTimeout(() => void retry(), 5000).unref();
}
