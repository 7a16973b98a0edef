/** Project usage for the places a user decides (the create dialog, the project's quota panel). */
import { type ProjectView, projects, quotas, templates } from '@vireo/db';
import { VireoError } from '@vireo/protocol';
import type { UserView } from '../../views.ts';
import { can } from '../permissions/can.ts';
import { projectsWhere } from '../permissions/visibility.ts';

export type ProjectUsage = Pick<ProjectView, 'id' | 'name' | 'quota' | 'used'> & {
  /** May the caller create VMs from restricted templates here without a request? */
  managesProject: boolean;
};

function usageOf(p: ProjectView, managesProject: boolean): ProjectUsage {
  return { id: p.id, name: p.name, quota: p.quota, used: p.used, managesProject };
}

/** The caller may view the project: the procedure's rule checked it. */
export async function projectUsage(projectId: string, user: UserView): Promise<ProjectUsage> {
  const p = await projects.byId(projectId);
  if (!p) throw new VireoError('NOT_FOUND', 'No such project.', { object: 'project' });
  return usageOf(p, await can(user, 'manage', { kind: 'project', id: projectId }));
}

/** The projects the caller may create VMs in (admins: all), with their usage. */
export async function creatableProjects(user: UserView): Promise<ProjectUsage[]> {
  // Two reads of the grants and one of the projects, whatever the number of projects.
  const [creatable, managed] = await Promise.all([projectsWhere(user, 'create'), projectsWhere(user, 'manage')]);
  if ('ids' in creatable && creatable.ids.length === 0) return [];
  const list = await projects.list('ids' in creatable ? { ids: creatable.ids } : {});
  const manages = (id: string) => 'all' in managed || managed.ids.includes(id);
  return list.map((p) => usageOf(p, manages(p.id)));
}

/** Admin repair: the counters recounted from the project's VMs, disks and snapshots. */
export async function recountProject(projectId: string) {
  const result = await quotas.recount(projectId);
  if (!result) throw new VireoError('NOT_FOUND', 'No such project.', { object: 'project' });
  return result;
}

export async function restrictedTemplateIds(): Promise<string[]> {
  return templates.restrictedIds();
}

export async function setTemplateRestricted(templateId: string, restricted: boolean): Promise<void> {
  if (!(await templates.setRestricted(templateId, restricted))) {
    throw new VireoError('NOT_FOUND', 'No such template.', { object: 'template' });
  }
}
