/**
 * What the self-service portal needs to draw itself (issue 10): the caller's projects with their
 * quotas and use, the templates and networks published to them, and the flavors. Administrators see every
 * project and template. Hosts and clusters are never part of it.
 */
import {
  flavors,
  type FlavorView,
  networks,
  projects,
  type Quotas,
  roleBindings,
  type Role,
  templates,
  type Usage,
} from '@vireo/db';
import { libvirtNetworkName } from '@vireo/protocol';
import type { UserView } from '../views.ts';
import { templateDiskBytesOf } from './quotas/template-disk.ts';
import { listTemplates } from './templates.ts';

export type PortalProject = { id: string; name: string; description: string; role: Role; quota: Quotas; used: Usage };
export type PortalTemplate = {
  id: string;
  name: string;
  description: string;
  kind: 'kernel' | 'disk';
  defaultVcpus: number;
  defaultMemoryMiB: number;
  /** The caller's projects this template is published to (every project, for an admin). */
  projectIds: string[];
  /**
   * Restricted: a VM from it is a request for an approver, unless the caller manages the project
   * (its owner, or an administrator) — the portal reads that from the project's role.
   */
  restricted: boolean;
  /**
   * The virtual size of its disks, which a VM from it counts against the disk quota
   * (quotas/template-disk.ts); null while no host could read it (the form then shows no figure).
   */
  diskBytes: number | null;
};
/** A network a VM of the portal may get a NIC on: by its libvirt name (one per name, whatever the cluster). */
export type PortalNetwork = { name: string; libvirtName: string; projectIds: string[] };
export type PortalOverview = {
  projects: PortalProject[];
  templates: PortalTemplate[];
  networks: PortalNetwork[];
  flavors: FlavorView[];
};

/** How long the portal waits for a host to read a template's disk size (it draws without it). */
const PORTAL_READ_MS = 5_000;

/** The strongest role first, when a user holds several on one project. */
const ROLE_RANK: Role[] = ['admin', 'owner', 'operator', 'member', 'viewer'];

export async function portalOverview(user: Pick<UserView, 'id' | 'role'>): Promise<PortalOverview> {
  const isAdmin = user.role === 'admin';
  const roleOn = new Map<string, Role>();
  for (const b of await roleBindings.forUser(user.id)) {
    if (b.scopeKind !== 'project') continue;
    const held = roleOn.get(b.scopeId);
    if (!held || ROLE_RANK.indexOf(b.role) < ROLE_RANK.indexOf(held)) roleOn.set(b.scopeId, b.role);
  }
  const mine = await projects.list(isAdmin ? {} : { ids: [...roleOn.keys()] });
  const projectIds = mine.map((p) => p.id);
  const all = await listTemplates(user);
  const restricted = new Set(await templates.restrictedIds());
  // Read from a host once per template version, then remembered (templateDiskBytes); a template
  // no host can read now shows no disk figure rather than failing the whole portal.
  const diskBytes = new Map(
    await Promise.all(
      all.map(
        async (t) => [t.id, await templateDiskBytesOf({ templateId: t.id }, PORTAL_READ_MS).catch(() => null)] as const,
      ),
    ),
  );
  const byTemplate = new Map<string, string[]>();
  if (isAdmin) {
    for (const t of all) byTemplate.set(t.id, projectIds);
  } else {
    for (const p of projectIds) {
      for (const id of await projects.publishedIds([p], 'template'))
        byTemplate.set(id, [...(byTemplate.get(id) ?? []), p]);
    }
  }
  return {
    projects: mine.map((p) => ({
      id: p.id,
      name: p.name,
      description: p.description,
      role: isAdmin ? 'admin' : (roleOn.get(p.id) ?? 'viewer'),
      quota: p.quota,
      used: p.used,
    })),
    templates: all
      .filter((t) => byTemplate.has(t.id))
      .map((t) => ({
        id: t.id,
        name: t.name,
        description: t.description,
        kind: t.kind,
        defaultVcpus: t.defaultVcpus,
        defaultMemoryMiB: t.defaultMemoryMiB,
        projectIds: byTemplate.get(t.id) ?? [],
        restricted: restricted.has(t.id),
        diskBytes: diskBytes.get(t.id) ?? null,
      })),
    networks: await portalNetworks(isAdmin, projectIds),
    flavors: await flavors.list(),
  };
}

/**
 * The networks published to each of the caller's projects (every network to every project, for
 * an administrator): a filtered query, no host named. A cluster network of the same name in
 * several clusters is one choice: placement puts the VM where its networks are.
 */
async function portalNetworks(isAdmin: boolean, projectIds: string[]): Promise<PortalNetwork[]> {
  const byNetwork = new Map<string, string[]>();
  if (!isAdmin) {
    for (const p of projectIds) {
      for (const id of await projects.publishedIds([p], 'network'))
        byNetwork.set(id, [...(byNetwork.get(id) ?? []), p]);
    }
  }
  const rows = await networks.list(isAdmin ? {} : { ids: [...byNetwork.keys()] });
  const byName = new Map<string, PortalNetwork>();
  for (const n of rows) {
    const libvirtName = libvirtNetworkName(n.name);
    const seen = byName.get(libvirtName);
    const ids = isAdmin ? projectIds : (byNetwork.get(n.id) ?? []);
    byName.set(libvirtName, {
      name: n.name,
      libvirtName,
      projectIds: [...new Set([...(seen?.projectIds ?? []), ...ids])],
    });
  }
  return [...byName.values()].sort((a, b) => a.name.localeCompare(b.name));
}
