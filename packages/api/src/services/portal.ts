/**
 * What the self-service portal needs to draw itself (issue 10): the caller's projects with their
 * quotas and use, the templates published to them, and the flavors. Administrators see every
 * project and template. Hosts and clusters are never part of it.
 */
import {
  flavors,
  type FlavorView,
  projects,
  type Quotas,
  roleBindings,
  type Role,
  templates,
  type Usage,
} from '@vireo/db';
import type { UserView } from '../views.ts';
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
};
export type PortalOverview = { projects: PortalProject[]; templates: PortalTemplate[]; flavors: FlavorView[] };

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
      })),
    flavors: await flavors.list(),
  };
}
