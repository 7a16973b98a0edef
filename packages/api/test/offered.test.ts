/**
 * Networks and pools a user may put its VM on (services/permissions/offered.ts), on a real
 * (migrated) database: a project member picks only what is published to the VM's project; one
 * it may not see is missing (NOT_FOUND), one it sees through another project is FORBIDDEN here.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { VireoError } from '@vireo/protocol';
import { setupTestDb } from '../../db/test/helpers.ts';

const { db, teardown } = await setupTestDb();
const { checkCreateChoicesOffered, checkNetworksOffered, checkPoolsOffered } = await import(
  '../src/services/permissions/offered.ts'
);
after(teardown);

const w = {} as { member: { id: string; role: 'user' }; plain: { id: string; role: 'user' }; p1: string; p2: string };
const admin = { id: 'admin-id', role: 'admin' as const };

before(async () => {
  const dc = await db.inventory.createDatacenter('dc');
  const c = await db.inventory.createCluster(dc.id, 'c');
  const network = (name: string) =>
    db.networks.create({
      name,
      clusterId: c.id,
      scope: 'cluster',
      hostId: null,
      mode: 'isolated',
      bridge: `vb-${name}`,
      vlan: null,
      cidr: null,
      dhcpStart: null,
      dhcpEnd: null,
    });
  const n1 = await network('n1');
  const n2 = await network('n2');
  await network('secret');
  const pool = (name: string) =>
    db.storagePools.create({ name, path: `/${name}`, scope: 'cluster', hostId: null, clusterId: c.id });
  const pool1 = await pool('pool1');
  const pool2 = await pool('pool2');
  await pool('hidden');
  const p1 = await db.projects.create({ name: 'p1' });
  const p2 = await db.projects.create({ name: 'p2' });
  const member = await db.users.create({ username: 'member', password: 'pw-member-long', role: 'user' });
  const plain = await db.users.create({ username: 'plain', password: 'pw-plain-long', role: 'user' });
  for (const p of [p1, p2])
    await db.roleBindings.grant({ userId: member.id, role: 'member', scopeKind: 'project', scopeId: p.id });
  await db.projects.publish(p1.id, 'network', n1.id);
  await db.projects.publish(p1.id, 'pool', pool1.id);
  await db.projects.publish(p2.id, 'network', n2.id);
  await db.projects.publish(p2.id, 'pool', pool2.id);
  Object.assign(w, {
    member: { id: member.id, role: 'user' },
    plain: { id: plain.id, role: 'user' },
    p1: p1.id,
    p2: p2.id,
  });
});

async function refusal(work: Promise<void>): Promise<string> {
  try {
    await work;
    return 'allowed';
  } catch (err) {
    assert.ok(err instanceof VireoError, String(err));
    return `${err.code}: ${err.message}`;
  }
}

test('a member uses the networks and pools published to the VM’s project', async () => {
  assert.equal(await refusal(checkNetworksOffered(w.member, w.p1, ['vireo-n1'])), 'allowed');
  assert.equal(await refusal(checkPoolsOffered(w.member, w.p1, ['pool1'])), 'allowed');
  assert.equal(await refusal(checkNetworksOffered(w.member, w.p2, ['vireo-n2'])), 'allowed');
});

test('one published to another of its projects only: FORBIDDEN, saying so', async () => {
  assert.match(
    await refusal(checkNetworksOffered(w.member, w.p1, ['vireo-n2'])),
    /^FORBIDDEN: The network vireo-n2 is not published to this VM's project/,
  );
  assert.match(await refusal(checkPoolsOffered(w.member, w.p2, ['pool1'])), /^FORBIDDEN: The storage pool pool1/);
});

test('one it may not see, or a libvirt network Vireo does not manage: NOT_FOUND', async () => {
  assert.match(await refusal(checkNetworksOffered(w.member, w.p1, ['vireo-secret'])), /^NOT_FOUND: No network/);
  assert.match(await refusal(checkNetworksOffered(w.member, w.p1, ['default'])), /^NOT_FOUND: No network default/);
  assert.match(await refusal(checkPoolsOffered(w.member, w.p1, ['hidden'])), /^NOT_FOUND: No storage pool hidden/);
  assert.match(
    await refusal(
      checkCreateChoicesOffered(w.member, {
        projectId: w.p1,
        nics: [{ network: 'vireo-n1' }],
        disks: [{ pool: 'hidden' }],
      }),
    ),
    /^NOT_FOUND: No storage pool hidden/,
  );
});

test('administrators and users with no role anywhere are not limited', async () => {
  for (const user of [admin, w.plain]) {
    assert.equal(await refusal(checkNetworksOffered(user, w.p1, ['vireo-secret', 'default'])), 'allowed');
    assert.equal(await refusal(checkPoolsOffered(user, null, ['hidden'])), 'allowed');
  }
});
