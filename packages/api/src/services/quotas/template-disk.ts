/**
 * The virtual size of a template's disks (issue 10): a VM made from a template gets disks as
 * large as the template's bases (a linked clone or an overlay shows the base's virtual size; a
 * full copy is as large), so that size counts against the project's disk quota, reserved with
 * the rest of the VM. The manager does not keep the sizes: a host reads them from libvirt (pool
 * volumes) or qemu-img (a kernel template's base file). A version's bases never change (see
 * templates.ts), so each answer is kept for the life of the process.
 */
import { hosts, storagePools, templates, type TemplateView, type UserView } from '@vireo/db';
import { VireoError } from '@vireo/protocol';
import { hostAgent } from '../agent-router.ts';
import { hostsOf } from '../storage-pools.ts';
import { publishedVisibility } from '../permissions/visibility.ts';

const known = new Map<string, number>();

/** `disks`: the chosen version's disks (a disk template); undefined for a kernel template. */
export async function templateDiskBytes(
  template: Pick<TemplateView, 'id' | 'diskPath'>,
  version: { versionId: string; disks: readonly { pool: string; volume: string }[] } | undefined,
  timeoutMs = 30_000,
): Promise<number> {
  const key = version ? `version:${version.versionId}` : `kernel:${template.id}:${template.diskPath ?? ''}`;
  const cached = known.get(key);
  if (cached !== undefined) return cached;
  const volumes = (version?.disks ?? []).map((d) => ({ pool: d.pool, name: d.volume }));
  const paths = !version && template.diskPath ? [template.diskPath] : [];
  if (volumes.length + paths.length === 0) return 0;
  const host = await readerHost(volumes.map((v) => v.pool));
  const agent = await hostAgent(host.id, host.name);
  const { bytes } = await agent.request('disk.virtualSize', { volumes, paths }, { timeoutMs });
  known.set(key, bytes);
  return bytes;
}

/** An online host that has every pool named (a kernel template's base is on shared storage). */
async function readerHost(poolNames: string[]) {
  const online = (await hosts.list()).filter((h) => h.status === 'online');
  let candidates = online;
  for (const name of new Set(poolNames)) {
    const pool = await storagePools.byName(name);
    if (!pool) {
      throw new VireoError('NOT_FOUND', `The template's pool ${name} does not exist (any more).`, { object: 'pool' });
    }
    candidates = hostsOf(pool, candidates);
  }
  const host = candidates[0];
  if (!host) {
    throw new VireoError(
      'HOST_OFFLINE',
      "No online host can read the template's disks to count them against the project's disk quota. Try again once a host is online.",
      { object: 'host' },
    );
  }
  return host;
}

/** The same for a create's input (a request's): its template's chosen (or latest) version. */
export async function templateDiskBytesOf(
  input: { templateId: string; templateVersionId?: string | undefined },
  timeoutMs?: number,
): Promise<number> {
  const template = await templates.byId(input.templateId);
  if (!template) return 0; // gone: nothing will be made from it
  if (template.kernelPath) return templateDiskBytes(template, undefined, timeoutMs);
  const version = input.templateVersionId
    ? await templates.versionById(input.templateVersionId)
    : await templates.latestVersion(template.id);
  if (!version || version.templateId !== template.id) return 0;
  return templateDiskBytes(template, { versionId: version.id, disks: version.disks }, timeoutMs);
}

/**
 * The create form's quota preview: the template disk a VM from this template (version) would
 * add, as the server will count it. A template the user may not see is missing, as in the list.
 */
export async function templateDiskFor(
  user: Pick<UserView, 'id' | 'role'>,
  input: { templateId: string; templateVersionId?: string | undefined },
): Promise<{ bytes: number }> {
  const visible = await publishedVisibility(user, 'template');
  if (!('all' in visible) && !visible.ids.includes(input.templateId)) {
    throw new VireoError('NOT_FOUND', 'That template does not exist (any more). Choose another.', {
      object: 'template',
    });
  }
  return { bytes: await templateDiskBytesOf(input, 10_000) };
}
