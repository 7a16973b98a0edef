import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { setupTestDb } from './helpers.ts';

const { db, teardown } = await setupTestDb();
const { clusters, hostDomains, hosts } = db;

let hostA = '';
let hostB = '';
const dom = (uuid: string, name: string, state = 'running') => ({ uuid, name, state, vcpus: 1, memoryMiB: 128 });

before(async () => {
  const clusterId = (await clusters.ensure('Default', 'Default')).id;
  const facts = (hostname: string) => ({
    libvirtHostUuid: randomUUID(),
    hostname,
    cpuCount: 2,
    cpuModel: 'x',
    memoryBytes: 1024,
    memoryFreeBytes: 512,
    libvirtVersion: '9.0.0',
    qemuVersion: '7.2.0',
    domainTypes: ['qemu'],
    clusterId,
  });
  hostA = (await hosts.upsertOnConnect(facts('a'))).id;
  hostB = (await hosts.upsertOnConnect(facts('b'))).id;
});
after(teardown);

test('a full state replaces a host’s list; a run of events upserts and deletes in bulk, the last report winning', async () => {
  const [u1, u2, u3] = [randomUUID(), randomUUID(), randomUUID()];
  await hostDomains.replaceForHost(hostA, [dom(u1, 'one'), dom(u2, 'two')]);
  await hostDomains.replaceForHost(hostB, [dom(u3, 'three')]);
  assert.deepEqual((await hostDomains.onHost(hostA)).map((d) => d.name).sort(), ['one', 'two']);

  await hostDomains.setMany(hostA, [
    { uuid: u1, domain: dom(u1, 'one', 'paused') },
    { uuid: u2, domain: null },
    { uuid: u3, domain: dom(u3, 'three-here') },
    { uuid: u1, domain: dom(u1, 'one-renamed', 'shutoff') },
  ]);
  const a = new Map((await hostDomains.onHost(hostA)).map((d) => [d.uuid, d]));
  assert.equal(a.size, 2);
  assert.equal(a.get(u1)?.name, 'one-renamed');
  assert.equal(a.get(u1)?.state, 'shutoff');
  assert.equal(a.get(u1)?.maxMemoryMiB, 128);
  assert.equal(a.has(u2), false);
  // The same domain on two hosts (a migration in flight, or a clash): both are kept.
  assert.deepEqual((await hostDomains.hostsWith(u3)).sort(), [hostA, hostB].sort());
  assert.deepEqual(await hostDomains.hostsWith(u2), []);
  assert.deepEqual([...(await hostDomains.reportedAmong([u1, u2, u3]))].sort(), [u1, u3].sort());
  assert.equal((await hostDomains.onHosts([hostA, hostB])).length, 3);
  assert.deepEqual(await hostDomains.onHosts([]), []);
  await hostDomains.setMany(hostA, []);
  assert.equal((await hostDomains.onHost(hostA)).length, 2);
});
