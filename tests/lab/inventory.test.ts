/**
 * Inventory (issue 8): datacenters and clusters made, renamed, moved and deleted through the API;
 * each guard refuses with a message that names what is in the way, and changes nothing. A real
 * lab host without VMs moves to another cluster (and back); one with a VM is refused.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { type Api, admin, createTestVm, rejection, removeVms, uniqueName } from '../support/api.ts';
import { waitFor } from '../support/lab.ts';

type Tree = Awaited<ReturnType<Api['inventory']['tree']['query']>>;

const dcNamed = (t: Tree, name: string) => t.datacenters.find((d) => d.name === name);
const clusterNamed = (t: Tree, name: string) => t.clusters.find((c) => c.name === name);

async function eventKinds(api: Api): Promise<string[]> {
  return (await api.event.list.query()).map((e) => `${e.kind} ${e.message}`);
}

test('datacenters and clusters: create, rename, move, delete, each guard refusing with a reason', async () => {
  const { api } = await admin();
  const east = uniqueName('east');
  const west = uniqueName('west');
  const { id: eastId } = await api.inventory.createDatacenter.mutate({ name: east });
  const { id: westId } = await api.inventory.createDatacenter.mutate({ name: west });

  // Names: validated at the edge, unique per parent.
  const bad = await rejection(api.inventory.createDatacenter.mutate({ name: 'no/slashes' }));
  assert.equal(bad.code, 'BAD_INPUT');
  const dup = await rejection(api.inventory.createDatacenter.mutate({ name: east }));
  assert.equal(dup.code, 'CONFLICT');
  assert.match(dup.message, new RegExp(`datacenter named "${east}" already exists`));

  const { id: prodId } = await api.inventory.createCluster.mutate({ datacenterId: eastId, name: 'prod' });
  const dupCluster = await rejection(api.inventory.createCluster.mutate({ datacenterId: eastId, name: 'prod' }));
  assert.equal(dupCluster.code, 'CONFLICT');
  assert.match(dupCluster.message, new RegExp(`${east} already has a cluster named "prod"`));
  // The same name in another datacenter is fine.
  const { id: westProdId } = await api.inventory.createCluster.mutate({ datacenterId: westId, name: 'prod' });

  // A datacenter with clusters stays, and says which.
  const dcRefused = await rejection(api.inventory.deleteDatacenter.mutate({ datacenterId: eastId }));
  assert.equal(dcRefused.code, 'CONFLICT');
  assert.match(dcRefused.message, /still has a cluster: prod/);
  assert.ok(dcNamed(await api.inventory.tree.query(), east), 'the refused datacenter is still there');

  // Moving a cluster where its name is taken is refused; renamed, it moves.
  const moveRefused = await rejection(api.inventory.moveCluster.mutate({ clusterId: prodId, datacenterId: westId }));
  assert.equal(moveRefused.code, 'CONFLICT');
  assert.equal((await api.inventory.tree.query()).clusters.find((c) => c.id === prodId)?.datacenterId, eastId);
  await api.inventory.renameCluster.mutate({ clusterId: prodId, name: 'prod-2' });
  await api.inventory.moveCluster.mutate({ clusterId: prodId, datacenterId: westId });
  let tree = await api.inventory.tree.query();
  assert.equal(clusterNamed(tree, 'prod-2')?.datacenterId, westId);

  // Settings: defaults, then a change that reads back and is recorded.
  const defaults = await api.inventory.clusterSettings.query({ clusterId: prodId });
  assert.deepEqual(defaults, {
    cpuBaseline: '',
    migrationMaxDowntimeMs: 300,
    migrationBandwidthMiBs: 0,
    migrationParallelPerHost: 2,
    migrationAutoConverge: true,
    migrationPostCopy: false,
    placementPolicy: 'balanced',
    balancerMode: 'off',
    balancerCooldownMinutes: 30,
    balancerMaxMoves: 3,
    balancerThreshold: 5,
  });
  const changed = await api.inventory.setClusterSettings.mutate({
    clusterId: prodId,
    settings: { placementPolicy: 'packed', migrationMaxDowntimeMs: 500, cpuBaseline: 'qemu64' },
  });
  assert.equal(changed.placementPolicy, 'packed');
  assert.deepEqual(await api.inventory.clusterSettings.query({ clusterId: prodId }), changed);
  const badSetting = await rejection(
    api.inventory.setClusterSettings.mutate({ clusterId: prodId, settings: { migrationParallelPerHost: 0 } }),
  );
  assert.equal(badSetting.code, 'BAD_INPUT');

  // A cluster with a network stays, and names it.
  const net = await api.network.create.mutate({
    name: uniqueName('invnet'),
    clusterId: westProdId,
    mode: 'bridged',
    bridge: 'vinvbr0',
  });
  const clRefused = await rejection(api.inventory.deleteCluster.mutate({ clusterId: westProdId }));
  assert.equal(clRefused.code, 'CONFLICT');
  assert.match(clRefused.message, new RegExp(`still has networks ${net.name}`));
  assert.ok((await api.inventory.tree.query()).clusters.some((c) => c.id === westProdId));
  await api.network.delete.mutate({ networkId: net.id });

  // The cluster with the lab hosts stays, and names them.
  tree = await api.inventory.tree.query();
  const labHost = tree.hosts[0];
  assert.ok(labHost, 'the lab has hosts');
  const hostRefused = await rejection(api.inventory.deleteCluster.mutate({ clusterId: labHost.clusterId }));
  assert.equal(hostRefused.code, 'CONFLICT');
  assert.match(hostRefused.message, new RegExp(`hosts [^;]*${labHost.name}`));

  // Empty ones go; then their datacenters.
  await api.inventory.renameDatacenter.mutate({ datacenterId: eastId, name: `${east}-x` });
  await api.inventory.deleteCluster.mutate({ clusterId: prodId });
  await api.inventory.deleteCluster.mutate({ clusterId: westProdId });
  await api.inventory.deleteDatacenter.mutate({ datacenterId: eastId });
  await api.inventory.deleteDatacenter.mutate({ datacenterId: westId });
  tree = await api.inventory.tree.query();
  assert.equal(dcNamed(tree, west), undefined);
  assert.equal(dcNamed(tree, `${east}-x`), undefined);
  const gone = await rejection(api.inventory.deleteDatacenter.mutate({ datacenterId: eastId }));
  assert.equal(gone.code, 'NOT_FOUND');

  // Every change is in the event log, with who did it.
  const log = await eventKinds(api);
  for (const kind of [
    'datacenter.created',
    'datacenter.renamed',
    'datacenter.deleted',
    'cluster.created',
    'cluster.renamed',
    'cluster.moved',
    'cluster.settings',
    'cluster.deleted',
  ]) {
    assert.ok(
      log.some((l) => l.startsWith(kind) && l.includes('admin')),
      `an event ${kind} was written`,
    );
  }
  assert.ok(log.some((l) => l.startsWith('cluster.settings') && l.includes('"balanced" → "packed"')));
});

test('a lab host without VMs moves between clusters; one with a VM is refused, naming it', async () => {
  const { api } = await admin();
  const vmIds: string[] = [];
  after(() => removeVms(api, vmIds));
  const { vmId, vm } = await createTestVm(api, 'inv', { start: false });
  vmIds.push(vmId);
  assert.ok(vm.hostId);

  const hosts = await api.host.list.query();
  const busy = hosts.find((h) => h.id === vm.hostId);
  const free = hosts.find((h) => h.vmCount === 0 && h.status === 'online');
  assert.ok(busy && free, 'one lab host has the VM, another has none');
  const home = (await api.inventory.tree.query()).hosts.find((h) => h.id === free.id)?.clusterId;
  assert.ok(home);

  const dcName = uniqueName('spare');
  const { id: dcId } = await api.inventory.createDatacenter.mutate({ name: dcName });
  const { id: spareId } = await api.inventory.createCluster.mutate({ datacenterId: dcId, name: 'spare' });
  after(async () => {
    await api.inventory.deleteCluster.mutate({ clusterId: spareId }).catch(() => {});
    await api.inventory.deleteDatacenter.mutate({ datacenterId: dcId }).catch(() => {});
  });

  const refused = await rejection(api.inventory.moveHost.mutate({ hostId: busy.id, clusterId: spareId }));
  assert.equal(refused.code, 'CONFLICT');
  assert.match(refused.message, /migrate or stop-and-move them first/);
  assert.ok(refused.message.includes(vm.name), `the refusal names the VM: ${refused.message}`);
  assert.notEqual((await api.inventory.tree.query()).hosts.find((h) => h.id === busy.id)?.clusterId, spareId);

  await api.inventory.moveHost.mutate({ hostId: free.id, clusterId: spareId });
  const moved = (await api.host.list.query()).find((h) => h.id === free.id);
  assert.equal(moved?.clusterName, 'spare');
  const tree = await api.inventory.tree.query();
  assert.equal(tree.hosts.find((h) => h.id === free.id)?.clusterId, spareId);
  // The spare cluster now holds a host: it cannot be deleted.
  const inUse = await rejection(api.inventory.deleteCluster.mutate({ clusterId: spareId }));
  assert.match(inUse.message, new RegExp(`hosts ${free.name}`));
  const events = await api.event.list.query();
  assert.ok(events.some((e) => e.kind === 'host.moved' && e.hostId === free.id && e.message.includes('to spare')));
  // The agent stays connected through the move.
  assert.equal(moved?.status, 'online');

  await api.inventory.moveHost.mutate({ hostId: free.id, clusterId: home });
  await waitFor('the host back in its cluster', async () =>
    (await api.inventory.tree.query()).hosts.find((h) => h.id === free.id && h.clusterId === home),
  );
  await api.inventory.deleteCluster.mutate({ clusterId: spareId });
  await api.inventory.deleteDatacenter.mutate({ datacenterId: dcId });
});
