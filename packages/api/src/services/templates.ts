/**
 * Disk templates: each version names pool volumes (its bases) that new VMs clone (linked, the
 * default) or copy. A version is never changed: publishing makes a new version pointing at new
 * bases, so VMs of older versions keep theirs (a base of any version cannot be deleted).
 */
import { DbConflictError, type TemplateVersionInput, templates } from '@vireo/db';
import { VireoError } from '@vireo/protocol';
import type { TemplateVersionSpec } from '../schemas/template.ts';
import type { TemplateListItem } from '../views.ts';
import { needPool } from './storage-pools.ts';

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

export async function listTemplates(): Promise<TemplateListItem[]> {
  // Host paths of a kernel template's files stay on the server: browsers need only what they show.
  return (await templates.listWithVersions()).map((t) => ({
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
