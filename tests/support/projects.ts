/**
 * Projects and the test clock in lab and browser tests (issue 10).
 *
 * A VM is put into a project straight in the test stack's database until create-in-project (or
 * moving a VM into a project) is on the branch: switching to it is this file only.
 * The test clock: the offset (ms) in the file VIREO_TEST_CLOCK_FILE names, which the manager's
 * lease rules add to the real time (scripts/test.sh sets it for test stacks only).
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';

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

export async function closeProjectsDb(): Promise<void> {
  await db.closeDb();
}
