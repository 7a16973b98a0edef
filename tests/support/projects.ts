/**
 * Projects, role bindings and restricted templates written straight into the test stack's
 * database (as vm-seed.ts does): the quota tests need a project with members before the
 * project administration API exists; everything they prove goes through the manager's API.
 */
import path from 'node:path';
import { DEFAULT_TEMPLATE, uniqueName } from './api.ts';

const stackDir = process.env.VIREO_TEST_STACK_DIR;
if (!stackDir) throw new Error('VIREO_TEST_STACK_DIR is not set: run through scripts/test.sh');
process.env.DATABASE_URL ??= `file:${path.join(stackDir, 'vireo.db')}`;
const db = await import('@vireo/db');

export type Quota = Partial<Record<'Vms' | 'Vcpus' | 'MemoryMiB' | 'DiskGiB' | 'Snapshots', number | null>>;

export async function makeProject(prefix: string, quota: Quota) {
  return db.projects.create({ name: uniqueName(prefix).toLowerCase(), quota });
}

export async function grantOnProject(userId: string, role: 'owner' | 'member' | 'viewer', projectId: string) {
  await db.roleBindings.grant({ userId, role, scopeKind: 'project', scopeId: projectId });
}

/** A kernel template like the seeded one, under its own name (so restricting it touches no other test). */
export async function copyOfDefaultTemplate(prefix: string) {
  const t = await db.templates.byName(DEFAULT_TEMPLATE);
  if (!t) throw new Error(`the seeded default template ${DEFAULT_TEMPLATE} is missing`);
  const { id: _id, createdAt: _at, ...rest } = t;
  return db.templates.upsert({ ...rest, name: uniqueName(prefix) });
}

export async function removeProject(projectId: string): Promise<void> {
  await db.projects.remove(projectId);
}

export async function removeTemplate(templateId: string): Promise<void> {
  await db.templates.deleteTemplate(templateId).catch(() => {});
}

export async function closeProjectsDb(): Promise<void> {
  await db.closeDb();
}
