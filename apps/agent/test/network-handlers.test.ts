import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeHypervisor } from '@vireo/hypervisor';
import { type NetworkSpec, VireoError } from '@vireo/protocol';
import { networkHandlers } from '../src/handlers/networks.ts';
import type { Logger } from '../src/logger.ts';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

const spec: NetworkSpec = {
  name: 'vireo-default',
  mode: 'nat',
  bridge: 'vb0123456789',
  ipv4: { address: '192.168.124.1', prefix: 24, dhcp: { start: '192.168.124.100', end: '192.168.124.254' }, hosts: [] },
};
const withHosts = (hosts: NonNullable<NetworkSpec['ipv4']>['hosts']): NetworkSpec => ({
  ...spec,
  ipv4: { ...spec.ipv4!, hosts },
});

test('network.ensure creates once, then syncs static hosts, starts and autostarts what exists', async () => {
  const hv = new FakeHypervisor();
  const h = networkHandlers(hv, quiet);
  assert.equal((await h['network.ensure']({ network: spec })).created, true);
  const a = { mac: '52:54:00:00:00:01', ip: '192.168.124.10' };
  const b = { mac: '52:54:00:00:00:02', ip: '192.168.124.11', hostname: 'b' };
  const again = await h['network.ensure']({ network: withHosts([a, b]) });
  assert.equal(again.created, false);
  assert.deepEqual(again.network.ipv4?.hosts, [a, b]);
  // An admin turned autostart off by hand: ensure puts it back.
  await hv.networks.setAutostart(spec.name, false);
  const back = await h['network.ensure']({ network: withHosts([b]) });
  assert.equal(back.network.autostart, true);
  assert.deepEqual(back.network.ipv4?.hosts, [b], 'a lease the manager no longer has is removed');
});

test('network.ensure refuses a same-named network of another shape', async () => {
  const h = networkHandlers(new FakeHypervisor(), quiet);
  await h['network.ensure']({ network: spec });
  await assert.rejects(
    h['network.ensure']({ network: { ...spec, ipv4: { ...spec.ipv4!, address: '10.0.0.1' } } }),
    (err) => VireoError.is(err, 'CONFLICT', 'network') && /address 192\.168\.124\.1\/24/.test(err.message),
  );
});

test('setStaticLeases makes the set exact (a moved IP is deleted before it is added)', async () => {
  const h = networkHandlers(new FakeHypervisor(), quiet);
  await h['network.ensure']({ network: withHosts([{ mac: '52:54:00:00:00:01', ip: '192.168.124.10' }]) });
  const r = await h['network.setStaticLeases']({
    name: spec.name,
    hosts: [{ mac: '52:54:00:00:00:01', ip: '192.168.124.12' }],
  });
  assert.deepEqual(r, { added: 1, removed: 1 });
  assert.deepEqual(
    await h['network.setStaticLeases']({
      name: spec.name,
      hosts: [{ mac: '52:54:00:00:00:01', ip: '192.168.124.12' }],
    }),
    {
      added: 0,
      removed: 0,
    },
  );
  await assert.rejects(h['network.setStaticLeases']({ name: 'vireo-nope', hosts: [] }), (err) =>
    VireoError.is(err, 'NOT_FOUND', 'network'),
  );
});

test('remove and filters are idempotent', async () => {
  const h = networkHandlers(new FakeHypervisor(), quiet);
  await h['network.ensure']({ network: spec });
  assert.deepEqual(await h['network.remove']({ name: spec.name }), { removed: true });
  assert.deepEqual(await h['network.remove']({ name: spec.name }), { removed: false });
  await h['filter.ensure']({ name: 'vireo-sg-a', rules: [{ direction: 'in', protocol: 'icmp' }] });
  await h['filter.ensure']({ name: 'vireo-sg-a', rules: [] });
  assert.deepEqual(await h['filter.remove']({ name: 'vireo-sg-a' }), { removed: true });
  assert.deepEqual(await h['filter.remove']({ name: 'vireo-sg-a' }), { removed: false });
});
