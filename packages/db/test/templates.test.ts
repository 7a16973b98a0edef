import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, test } from 'node:test';
import { setupTestDb } from './helpers.ts';

const { db, teardown } = await setupTestDb();
const { DbConflictError, templates, users, vms } = db;
after(teardown);

const version = (volume: string) => ({
  firmware: 'bios',
  defaultVcpus: 1,
  defaultMemoryMiB: 128,
  disks: [{ position: 0, pool: 'default', volume, bus: 'virtio' as const, format: 'qcow2' as const }],
  nics: [{ position: 0, network: 'default', model: 'virtio' as const }],
});

test('disk templates: versions number up, are listed newest first with their VMs, and name their bases', async () => {
  const t = await templates.createDiskTemplate({ name: 'tpl-a', description: '' }, version('a-v1.qcow2'));
  assert.equal(t.versions[0]?.version, 1);
  await assert.rejects(
    templates.createDiskTemplate({ name: 'tpl-a', description: '' }, version('x.qcow2')),
    DbConflictError,
  );
  const v2 = await templates.addVersion(t.id, version('a-v2.qcow2'));
  assert.equal(v2.version, 2);
  assert.equal((await templates.latestVersion(t.id))?.id, v2.id);

  const ownerId = (await users.create({ username: 'tpl', password: 'pw-tpl', role: 'user' })).id;
  await vms.create({
    uuid: randomUUID(),
    name: 'from-v1',
    templateId: t.id,
    templateVersionId: t.versions[0]?.id ?? null,
    ownerId,
    vcpus: 1,
    memoryMiB: 128,
  });
  const listed = (await templates.listWithVersions()).find((x) => x.id === t.id);
  assert.deepEqual(
    listed?.versions.map((v) => [v.version, v.disks[0]?.volume, v.nics[0]?.network, v.vmCount]),
    [
      [2, 'a-v2.qcow2', 'default', 0],
      [1, 'a-v1.qcow2', 'default', 1],
    ],
  );
  assert.equal(await templates.volumeIsBase('default', 'a-v1.qcow2'), true);
  assert.equal(await templates.volumeIsBase('default', 'other.qcow2'), false);
});
