/**
 * Deleting template versions and templates. A version goes only when no VM was made from it (a
 * linked clone's backing file is its base); a template only when none of its versions is used.
 * The refusal names the VMs. Order: every base is first checked on every host of its pool (no
 * domain uses it, no clone is backed by it), then the rows go in one transaction, then the bases
 * are deleted through the agent's volume API. A base that then fails to go is left as an ordinary
 * volume (no longer a base, so an admin can delete it under Storage) and reported: a version
 * whose base vanished would be worse than a stray volume.
 */
import { type TemplateDeleteResult, type TemplateDiskRow, templates } from '@vireo/db';
import { VireoError, toErrorPayload } from '@vireo/protocol';
import { managerEnv } from '../env.ts';
import { hostAgent } from './agent-router.ts';
import { needPool } from './storage-pools.ts';
import { poolHosts, refuseIfUsed } from './storage-volumes.ts';

export interface TemplateDeleteOutcome {
  /** Base volumes deleted, as `pool/volume`. */
  deletedVolumes: string[];
  /** Bases that could not be deleted (kept as plain volumes), with the reason. */
  keptVolumes: { volume: string; reason: string }[];
}

const label = (d: { pool: string; volume: string }) => `${d.pool}/${d.volume}`;

function inUse(what: string, vms: string[]): VireoError {
  const list = vms.length > 5 ? `${vms.slice(0, 5).join(', ')} and ${vms.length - 5} more` : vms.join(', ');
  return new VireoError('CONFLICT', `${what} is used by ${vms.length} VM(s): ${list}. Delete them first.`, {
    object: 'template',
  });
}

/** Bases of `disks` that no other version names (those are shared and stay). */
async function ownBases(disks: TemplateDiskRow[]): Promise<TemplateDiskRow[]> {
  const seen = new Set<string>();
  const own: TemplateDiskRow[] = [];
  for (const d of disks) {
    if (seen.has(label(d))) continue;
    seen.add(label(d));
    if (!(await templates.volumeIsBase(d.pool, d.volume))) own.push(d);
  }
  return own;
}

/** Refuses when a base is in use or backs a clone on any host of its pool; a missing one is fine. */
async function checkBases(disks: TemplateDiskRow[], sharedWithOthers: Set<string>): Promise<void> {
  for (const d of disks) {
    if (sharedWithOthers.has(label(d))) continue;
    const pool = await needPool(d.pool).catch(() => null);
    if (!pool) continue; // the pool is gone, and its volumes with it
    const { runner, others } = await poolHosts(pool);
    try {
      await refuseIfUsed(pool, [runner, ...others], d.volume, { users: 'any', dependants: true });
    } catch (err) {
      if (VireoError.is(err, 'NOT_FOUND', 'volume')) continue;
      throw err;
    }
  }
}

async function deleteBases(disks: TemplateDiskRow[]): Promise<TemplateDeleteOutcome> {
  const out: TemplateDeleteOutcome = { deletedVolumes: [], keptVolumes: [] };
  for (const d of await ownBases(disks)) {
    try {
      const pool = await needPool(d.pool);
      const { runner } = await poolHosts(pool);
      const agent = await hostAgent(runner.id, runner.name);
      await agent.request(
        'volume.delete',
        { pool: d.pool, name: d.volume },
        { timeoutMs: managerEnv().VIREO_DISK_OPERATION_TIMEOUT_S * 1000 },
      );
      out.deletedVolumes.push(label(d));
    } catch (err) {
      out.keptVolumes.push({ volume: label(d), reason: toErrorPayload(err).message });
    }
  }
  return out;
}

/** Bases of the versions being deleted that another version (not being deleted) also names. */
async function sharedBases(disks: TemplateDiskRow[], deleting: Set<string>): Promise<Set<string>> {
  const all = await templates.listWithVersions();
  const shared = new Set<string>();
  for (const t of all) {
    for (const v of t.versions) {
      if (deleting.has(v.id)) continue;
      for (const d of v.disks) if (disks.some((x) => label(x) === label(d))) shared.add(label(d));
    }
  }
  return shared;
}

async function finish(result: TemplateDeleteResult, what: string): Promise<TemplateDeleteOutcome> {
  if (!result.deleted) throw inUse(what, result.vms);
  return deleteBases(result.disks);
}

/** Deletes one version of a disk template and its bases, unless a VM was made from it. */
export async function deleteTemplateVersion(versionId: string): Promise<TemplateDeleteOutcome> {
  const v = await templates.versionById(versionId);
  if (!v) throw new VireoError('NOT_FOUND', 'No such template version.', { object: 'template' });
  const t = await templates.byId(v.templateId);
  const what = `Version ${v.version} of template ${t?.name ?? v.templateId}`;
  const vms = await templates.vmNamesOfVersion(v.id);
  if (vms.length > 0) throw inUse(what, vms);
  await checkBases(v.disks, await sharedBases(v.disks, new Set([v.id])));
  return finish(await templates.deleteVersion(v.id), what);
}

/** Deletes a template, all its versions and their bases, unless a VM was made from it. */
export async function deleteTemplate(templateId: string): Promise<TemplateDeleteOutcome> {
  const t = (await templates.listWithVersions()).find((x) => x.id === templateId);
  if (!t) throw new VireoError('NOT_FOUND', 'No such template.', { object: 'template' });
  const what = `Template ${t.name}`;
  const vms = await templates.vmNamesOfTemplate(t.id);
  if (vms.length > 0) throw inUse(what, vms);
  const disks = t.versions.flatMap((v) => v.disks);
  await checkBases(disks, await sharedBases(disks, new Set(t.versions.map((v) => v.id))));
  // A kernel template's files are the installation's (the lab guest), not Vireo's to remove.
  return finish(await templates.deleteTemplate(t.id), what);
}
