/**
 * Projects and the test clock in lab and browser tests (issue 10).
 *
 * Projects, role bindings, restricted templates and a VM's project are written straight into the
 * test stack's database (as vm-seed.ts does), so a test sets up its scene quickly; everything the
 * tests prove goes through the manager's API.
 * The test clock: the offset (ms) in the file VIREO_TEST_CLOCK_FILE names, which the manager's
 * lease rules add to the real time (scripts/test.sh sets it for test stacks only).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_TEMPLATE, uniqueName } from './api.ts';

const stackDir = process.env.VIREO_TEST_STACK_DIR;
if (!stackDir) throw new Error('VIREO_TEST_STACK_DIR is not set: run through scripts/test.sh');
process.env.DATABASE_URL ??= `file:${path.join(stackDir, 'vireo.db')}`;
const db = await import('@vireo/db');

/** The project of this name (made if missing); its id. */
export async function ensureProject(name: string): Promise<string> {
  return ((await db.projects.byName(name)) ?? (await db.projects.create({ name }))).id;
}

export async function putInProject(vmId: string, projectId: string): Promise<void> {
  await db.getDb().vm.update({ where: { id: vmId }, data: { projectId } });
}

/** Moves the manager's lease clock so that it reads `at` now. */
export function setTestClock(at: Date): void {
  const file = process.env.VIREO_TEST_CLOCK_FILE;
  if (!file) throw new Error('VIREO_TEST_CLOCK_FILE is not set: run through scripts/test.sh');
  writeFileSync(file, String(at.getTime() - Date.now()));
}

export function resetTestClock(): void {
  const file = process.env.VIREO_TEST_CLOCK_FILE;
  if (file) writeFileSync(file, '0');
}

export type Quota = Partial<Record<'Vms' | 'Vcpus' | 'MemoryMiB' | 'DiskGiB' | 'Snapshots', number | null>>;

/** A project with these quotas, offering the seeded template (as an admin would publish it). */
export async function makeProject(prefix: string, quota: Quota) {
  const project = await db.projects.create({ name: uniqueName(prefix).toLowerCase(), quota });
  const template = await db.templates.byName(DEFAULT_TEMPLATE);
  if (template) await db.projects.publish(project.id, 'template', template.id);
  return project;
}

export async function publishTemplate(projectId: string, templateId: string): Promise<void> {
  await db.projects.publish(projectId, 'template', templateId);
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

/** A kernel template's base disk on the shared storage (null: none, or a disk template). */
export async function templateDisk(templateId: string): Promise<string | null> {
  return (await db.templates.byId(templateId))?.diskPath ?? null;
}
