/**
 * host-vlan.ts against a scripted `ip` (an in-memory link table answering like iproute2 does), and
 * the network handlers' use of it. The real kernel is exercised in tests/lab/networks-vlan.test.ts.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeHypervisor } from '@vireo/hypervisor';
import { type NetworkSpec, VireoError, vlanInterfaceNames } from '@vireo/protocol';
import { networkHandlers } from '../src/handlers/networks.ts';
import { type HostVlans, type IpRunner, ipVlans } from '../src/host-vlan.ts';
import type { Logger } from '../src/logger.ts';

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {} };

interface Link {
  ifname: string;
  kind?: string;
  id?: number;
  link?: string;
  master?: string;
  alias?: string;
  up: boolean;
}

/** A link table driven by the `ip` arguments host-vlan.ts uses; `calls` records each change. */
function fakeIp(opts: { vlans?: boolean } = {}) {
  const links = new Map<string, Link>([['eth0', { ifname: 'eth0', up: true }]]);
  const calls: string[] = [];
  const fail = (stderr: string) => Object.assign(new Error('Command failed'), { stderr });
  const ip: IpRunner = async (args) => {
    const a = args.join(' ');
    if (a.startsWith('-d -j link show dev ')) {
      const l = links.get(args[5]!);
      if (!l) throw fail(`Device "${args[5]}" does not exist.`);
      return JSON.stringify([
        {
          ifname: l.ifname,
          ...(l.link ? { link: l.link } : {}),
          ...(l.master ? { master: l.master } : {}),
          ...(l.alias ? { ifalias: l.alias } : {}),
          flags: l.up ? ['BROADCAST', 'UP'] : ['BROADCAST'],
          ...(l.kind ? { linkinfo: { info_kind: l.kind, ...(l.id ? { info_data: { id: l.id } } : {}) } } : {}),
        },
      ]);
    }
    calls.push(a);
    let m = /^link add link (\S+) name (\S+) type vlan id (\d+)$/.exec(a);
    if (m) {
      if (opts.vlans === false) throw fail('Error: Unknown device type.');
      if (links.has(m[2]!)) throw fail('RTNETLINK answers: File exists');
      links.set(m[2]!, { ifname: m[2]!, kind: 'vlan', id: Number(m[3]), link: m[1]!, up: false });
      return '';
    }
    m = /^link add name (\S+) type bridge$/.exec(a);
    if (m) {
      links.set(m[1]!, { ifname: m[1]!, kind: 'bridge', up: false });
      return '';
    }
    m = /^link set dev (\S+) alias (\S+)$/.exec(a);
    if (m) {
      links.get(String(m[1]))!.alias = m[2]!;
      return '';
    }
    m = /^link set dev (\S+) (up|master (\S+))$/.exec(a);
    if (m) {
      const l = links.get(String(m[1]))!;
      if (m[2] === 'up') l.up = true;
      else l.master = m[3]!;
      return '';
    }
    m = /^link del dev (\S+)$/.exec(a);
    if (m) {
      links.delete(m[1]!);
      return '';
    }
    throw new Error(`unexpected ip ${a}`);
  };
  return { ip, links, calls };
}

const v10 = { parent: 'eth0', tag: 10 };

test('ensure makes eth0.10 in vb-eth0-10, both up; again changes nothing', async () => {
  const f = fakeIp();
  const vlans = ipVlans(quiet, f.ip);
  assert.deepEqual(await vlans.ensure(v10), { bridge: 'vb-eth0-10', created: true });
  assert.deepEqual(f.links.get('eth0.10'), {
    ifname: 'eth0.10',
    kind: 'vlan',
    id: 10,
    link: 'eth0',
    master: 'vb-eth0-10',
    alias: 'vireo-made',
    up: true,
  });
  assert.equal(f.links.get('vb-eth0-10')?.up, true);
  const before = f.calls.length;
  assert.deepEqual(await vlans.ensure(v10), { bridge: 'vb-eth0-10', created: false });
  assert.equal(f.calls.length, before, 'nothing to change the second time');
  assert.equal(await vlans.remove(v10), true);
  assert.deepEqual([...f.links.keys()], ['eth0']);
  assert.equal(await vlans.remove(v10), false);
});

test('a kernel without 802.1Q: a coded refusal naming 8021q, nothing made', async () => {
  const f = fakeIp({ vlans: false });
  await assert.rejects(
    ipVlans(quiet, f.ip).ensure(v10),
    (err) => VireoError.is(err, 'INVALID_STATE', 'host') && /802\.1Q.*8021q/.test(err.message),
  );
  assert.deepEqual([...f.links.keys()], ['eth0']);
});

test('a missing parent, or a name taken by something else, is refused; nothing half-made stays', async () => {
  const f = fakeIp();
  const vlans = ipVlans(quiet, f.ip);
  await assert.rejects(vlans.ensure({ parent: 'eth9', tag: 10 }), (err) => VireoError.is(err, 'INVALID_STATE'));
  f.links.set('vb-eth0-10', { ifname: 'vb-eth0-10', kind: 'dummy', up: true });
  await assert.rejects(vlans.ensure(v10), (err) => VireoError.is(err, 'CONFLICT') && /not a bridge/.test(err.message));
  assert.equal(f.links.has('eth0.10'), false, 'the sub-interface this call made is gone again');
  f.links.delete('vb-eth0-10');
  f.links.set('eth0.10', { ifname: 'eth0.10', kind: 'vlan', id: 11, link: 'eth0', up: true });
  await assert.rejects(vlans.ensure(v10), (err) => VireoError.is(err, 'CONFLICT') && /not VLAN 10/.test(err.message));
  // remove leaves a device that is not this VLAN alone.
  assert.equal(await vlans.remove(v10), false);
  assert.equal(f.links.has('eth0.10'), true);
});

test('an admin-made eth0.10 is reused, never deleted: remove deletes only what Vireo made', async () => {
  const f = fakeIp();
  f.links.set('eth0.10', { ifname: 'eth0.10', kind: 'vlan', id: 10, link: 'eth0', up: true });
  const vlans = ipVlans(quiet, f.ip);
  assert.deepEqual(await vlans.ensure(v10), { bridge: 'vb-eth0-10', created: true });
  assert.equal(f.links.get('eth0.10')?.master, 'vb-eth0-10');
  assert.equal(await vlans.remove(v10), true, 'the bridge Vireo made goes');
  assert.deepEqual([...f.links.keys()], ['eth0', 'eth0.10'], "the admin's sub-interface stays");
});

test('handlers: ensure makes the VLAN bridge first; remove keeps it while another network uses it', async () => {
  const made: string[] = [];
  const removed: string[] = [];
  const vlans: HostVlans = {
    async ensure(v) {
      made.push(`${v.parent}.${v.tag}`);
      return { bridge: vlanInterfaceNames(v).bridge, created: true };
    },
    async remove(v) {
      removed.push(`${v.parent}.${v.tag}`);
      return true;
    },
  };
  const h = networkHandlers(new FakeHypervisor(), quiet, vlans);
  const spec = (name: string): NetworkSpec => ({ name, mode: 'bridged', bridge: 'vb-eth0-10', vlan: v10 });
  assert.equal((await h['network.ensure']({ network: spec('vireo-a') })).network.bridge, 'vb-eth0-10');
  await h['network.ensure']({ network: spec('vireo-b') });
  assert.deepEqual(made, ['eth0.10', 'eth0.10']);
  await h['network.remove']({ name: 'vireo-a', vlan: v10 });
  assert.deepEqual(removed, [], 'vireo-b still uses vb-eth0-10');
  await h['network.remove']({ name: 'vireo-b', vlan: v10 });
  assert.deepEqual(removed, ['eth0.10']);
});
