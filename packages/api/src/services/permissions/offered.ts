/**
 * Networks and storage pools a user may put its VM's NICs and disks on (issue 10): for a project
 * member, those published to its projects (publishedVisibility), and, for a VM in a project,
 * published to that project. Checked where a user picks one (vm.create's extra NICs and disks,
 * vm.addNic, vm.addDisk); a template's own NICs and disks are the administrator's choice.
 * A network or pool the user may not see is reported missing, like any object out of sight.
 */
import { networks, projects, storagePools } from '@vireo/db';
import { libvirtNetworkName, VireoError } from '@vireo/protocol';
import type { PermissionUser } from './can.ts';
import { networkVisibility, publishedVisibility } from './visibility.ts';

const notPublished = (what: string, name: string) =>
  new VireoError(
    'FORBIDDEN',
    `The ${what} ${name} is not published to this VM's project. Choose one the project offers, or ask an administrator to publish it.`,
    { object: what === 'network' ? 'network' : 'pool' },
  );

/** `names`: libvirt network names (`vireo-<name>` for Vireo's networks), as NICs carry them. */
export async function checkNetworksOffered(
  user: PermissionUser,
  projectId: string | null | undefined,
  names: readonly string[],
): Promise<void> {
  if (names.length === 0 || user.role === 'admin') return;
  const visible = await networkVisibility(user);
  if ('all' in visible) return;
  const seen = await networks.list({ ids: visible.ids });
  for (const name of new Set(names)) {
    const ids = seen.filter((n) => libvirtNetworkName(n.name) === name).map((n) => n.id);
    if (ids.length === 0) {
      throw new VireoError(
        'NOT_FOUND',
        `No network ${name}, or you have no access to it. Choose a network published to your project.`,
        { object: 'network' },
      );
    }
    if (projectId && !(await anyPublishedTo(projectId, 'network', ids))) throw notPublished('network', name);
  }
}

/** `names`: pool names (unique installation-wide). */
export async function checkPoolsOffered(
  user: PermissionUser,
  projectId: string | null | undefined,
  names: readonly string[],
): Promise<void> {
  if (names.length === 0 || user.role === 'admin') return;
  const visible = await publishedVisibility(user, 'pool');
  if ('all' in visible) return;
  const seen = await storagePools.list({ ids: visible.ids });
  for (const name of new Set(names)) {
    const pool = seen.find((p) => p.name === name);
    if (!pool) {
      throw new VireoError(
        'NOT_FOUND',
        `No storage pool ${name}, or you have no access to it. Choose a pool published to your project.`,
        { object: 'pool' },
      );
    }
    if (projectId && !(await anyPublishedTo(projectId, 'pool', [pool.id]))) throw notPublished('storage pool', name);
  }
}

async function anyPublishedTo(projectId: string, kind: 'network' | 'pool', ids: string[]): Promise<boolean> {
  return (await projects.publishedIds([projectId], kind)).some((id) => ids.includes(id));
}

/** A create's own NICs and disks (after the template's): on networks and pools offered to the user. */
export async function checkCreateChoicesOffered(
  user: PermissionUser,
  input: { projectId?: string | undefined; nics: readonly { network: string }[]; disks: readonly { pool: string }[] },
): Promise<void> {
  await checkNetworksOffered(
    user,
    input.projectId,
    input.nics.map((n) => n.network),
  );
  await checkPoolsOffered(
    user,
    input.projectId,
    input.disks.map((d) => d.pool),
  );
}
