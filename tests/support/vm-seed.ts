/**
 * Thousands of VM rows written straight into the test stack's database (the manager shares the
 * SQLite file, in WAL mode), on a host row no agent ever connects as: see @vireo/db's vm-seed.
 * They are records only, no libvirt domains. Remove them at the end; other tests share the stack.
 */
import path from 'node:path';
import { type Api, defaultTemplate } from './api.ts';

const stackDir = process.env.VIREO_TEST_STACK_DIR;
if (!stackDir) throw new Error('VIREO_TEST_STACK_DIR is not set: run through scripts/test.sh');
process.env.DATABASE_URL ??= `file:${path.join(stackDir, 'vireo.db')}`;
const db = await import('@vireo/db');

export const { seededName, seededState } = db.vmSeed;

/** Seeds `count` VMs whose owners alternate between the given users. */
export async function seedVms(api: Api, prefix: string, count: number, ownerIds: string[]) {
  const template = await defaultTemplate(api);
  const [cluster] = await db.clusters.list();
  if (!template || !cluster) throw new Error('the stack has no template or cluster');
  return db.vmSeed.seedVms({ prefix, count, clusterId: cluster.id, templateId: template.id, ownerIds });
}

export async function removeSeed(hostId: string): Promise<number> {
  return db.vmSeed.removeSeed(hostId);
}

export async function closeSeedDb(): Promise<void> {
  await db.closeDb();
}
