/**
 * A VLAN separates two networks: two bridged networks on the lab hosts' `eth0` (their veth into
 * the lab's bridge, which forwards tagged frames: it has no vlan_filtering), tags 10 and 20, on
 * both hosts. The agents make `eth0.10`/`eth0.20` and a bridge over each (host-vlan.ts); guests
 * (the test initramfs, tests/support/net-guest.sh, with static addresses in one subnet) on VLAN 10
 * on host 1 and host 2 ping each other, a guest on VLAN 20 cannot reach them, and VLAN 20 itself
 * carries traffic between the hosts (so the failure is the tag's doing, not a dead guest).
 *
 * A kernel without 802.1Q (CONFIG_VLAN_8021Q, module 8021q) cannot make VLAN devices at all; the
 * test first asks the lab host's kernel directly. There the agent must refuse plainly (the code
 * and a message naming 8021q) and Vireo must keep nothing: no row, no bridge, no libvirt network.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { vlanInterfaceNames } from '@vireo/protocol';
import { type Api, admin, rejection } from '../support/api.ts';
import { inHost, type LabHost, lab, virsh, waitFor } from '../support/lab.ts';

const exec = promisify(execFile);
let api: Api;
let clusterId: string;
const suffix = randomInt(1000, 9999);
const third = randomInt(10, 250);
const nets = { 10: `vl10-${suffix}`, 20: `vl20-${suffix}` } as const;
const networkIds: string[] = [];
const files: string[] = [];
const defined: { host: LabHost; name: string }[] = [];
const h = (i: 0 | 1) => lab().hosts[i]!;
const ip = (n: number) => `10.210.${third}.${n}`;
const mac = (n: number) =>
  `52:54:00:7b:${(suffix % 256).toString(16).padStart(2, '0')}:${n.toString(16).padStart(2, '0')}`;

before(async () => {
  ({ api } = await admin());
  const clusters = await api.network.clusters.query();
  clusterId = (clusters.find((c) => c.name === 'Default') ?? clusters[0])!.id;
});

after(async () => {
  for (const d of defined) {
    await virsh(d.host, 'destroy', d.name);
    await virsh(d.host, 'undefine', d.name);
  }
  for (const id of networkIds) await api.network.delete.mutate({ networkId: id }).catch(() => {});
  for (const f of files) rmSync(f, { force: true });
});

const link = async (host: LabHost, name: string) => {
  const r = await inHost(host, ['ip', '-d', '-j', 'link', 'show', 'dev', name]);
  return r.code === 0
    ? (JSON.parse(r.stdout)[0] as {
        link?: string;
        master?: string;
        linkinfo?: { info_kind?: string; info_data?: { id?: number } };
      })
    : null;
};

/** Asks the lab host's kernel itself whether it can make an 802.1Q device. */
async function kernelHasVlans(host: LabHost): Promise<boolean> {
  const probe = 'vireoprobe0';
  const r = await inHost(host, ['ip', 'link', 'add', 'link', 'eth0', 'name', probe, 'type', 'vlan', 'id', '4094']);
  if (r.code === 0) await inHost(host, ['ip', 'link', 'del', 'dev', probe]);
  return r.code === 0;
}

test('the VLAN tag and its device are checked at the edge', async () => {
  const base = { clusterId, mode: 'bridged' as const, bridge: 'eth0' };
  for (const vlan of [0, 4095, -1, 1.5]) {
    const r = await rejection(api.network.create.mutate({ ...base, name: `bad-${suffix}`, vlan }));
    assert.equal(r.code, 'BAD_INPUT', `tag ${vlan}`);
  }
  for (const bridge of ['eth0;reboot', 'a/b', '-eth0', 'averyveryverylongname0']) {
    const r = await rejection(api.network.create.mutate({ ...base, name: `bad-${suffix}`, bridge, vlan: 10 }));
    assert.equal(r.code, 'BAD_INPUT', `device ${bridge}`);
  }
  const nat = await rejection(
    api.network.create.mutate({
      name: `bad-${suffix}`,
      clusterId,
      mode: 'nat',
      cidr: `10.211.${third}.0/24`,
      dhcpStart: `10.211.${third}.100`,
      dhcpEnd: `10.211.${third}.200`,
      vlan: 10,
    }),
  );
  assert.equal(nat.code, 'BAD_INPUT');
  assert.ok(!(await api.network.list.query()).some((n) => n.name === `bad-${suffix}`));
});

function domainXml(
  name: string,
  net: string,
  kernel: string,
  initrd: string,
  o: { ip: string; mac: string; ping?: string },
) {
  const log = join(lab().sharedDir, `${name}.serial.log`);
  return `<domain type='qemu'><name>${name}</name><memory unit='MiB'>160</memory><vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><kernel>${kernel}</kernel><initrd>${initrd}</initrd>
  <cmdline>console=ttyS0,115200 loglevel=4 vireo.ip=${o.ip}/24${o.ping ? ` vireo.ping=${o.ping}` : ''}</cmdline></os>
  <devices><interface type='network'><source network='vireo-${net}'/><mac address='${o.mac}'/><model type='virtio'/></interface>
  <serial type='pty'><log file='${log}' append='off'/></serial><console type='pty'/></devices></domain>`;
}

const pings = (name: string) => {
  const log = join(lab().sharedDir, `${name}.serial.log`);
  return existsSync(log)
    ? readFileSync(log, 'utf8')
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l.startsWith('NETGUEST PING'))
    : [];
};

test('a VLAN separates two networks on both lab hosts', async () => {
  const create = (tag: 10 | 20) =>
    api.network.create.mutate({ name: nets[tag], clusterId, mode: 'bridged', bridge: 'eth0', vlan: tag });
  const names10 = vlanInterfaceNames({ parent: 'eth0', tag: 10 });

  if (!(await kernelHasVlans(h(0)))) {
    // This kernel has no 802.1Q: refused with the reason, and nothing is left anywhere.
    const r = await rejection(create(10));
    assert.equal(r.code, 'INVALID_STATE', r.message);
    assert.match(r.message, /802\.1Q.*8021q/);
    assert.ok(!(await api.network.list.query()).some((n) => n.name === nets[10]), 'no row kept');
    for (const host of lab().hosts) {
      assert.equal(await link(host, names10.bridge), null, `no bridge left on ${host.name}`);
      assert.equal((await virsh(host, 'net-info', `vireo-${nets[10]}`)).code === 0, false);
    }
    console.log(`# ${h(0).name}: kernel without 802.1Q; checked the refusal only`);
    return;
  }

  for (const tag of [10, 20] as const) networkIds.push((await create(tag)).id);
  const listed = await api.network.list.query();
  for (const tag of [10, 20] as const) {
    const n = listed.find((x) => x.name === nets[tag])!;
    assert.equal(n.vlan, tag);
    const { sub, bridge } = vlanInterfaceNames({ parent: 'eth0', tag });
    for (const host of lab().hosts) {
      // The kernel's own word: a VLAN device of that tag on eth0, in the bridge libvirt uses.
      const s = await link(host, sub);
      assert.equal(s?.linkinfo?.info_kind, 'vlan', `${sub} on ${host.name}`);
      assert.equal(s?.linkinfo?.info_data?.id, tag);
      assert.equal(s?.link, 'eth0');
      assert.equal(s?.master, bridge);
      const net = await virsh(host, 'net-dumpxml', `vireo-${nets[tag]}`);
      assert.match(net.stdout, new RegExp(`<bridge name='${bridge}'`));
      assert.deepEqual(
        n.hosts.find((x) => x.hostName === host.name),
        {
          hostId: n.hosts.find((x) => x.hostName === host.name)!.hostId,
          hostName: host.name,
          status: 'ok',
          active: true,
          autostart: true,
          bridge,
        },
      );
    }
  }

  const image = JSON.parse(readFileSync(process.env.VIREO_TEST_LAB_JSON!, 'utf8')).image as { kernel: string };
  const initrd = join(lab().sharedDir, `netguest-vlan-${suffix}.img`);
  files.push(initrd);
  await exec('bash', ['tests/support/net-guest.sh', initrd], { timeout: 120_000 });
  // a (VLAN 10, h1) pings b (VLAN 10, h2); c (VLAN 20, h2) pings a; d (VLAN 20, h1) pings c.
  const guests = [
    { name: `vla-${suffix}`, host: h(0), tag: 10, n: 1, ping: ip(2) },
    { name: `vlb-${suffix}`, host: h(1), tag: 10, n: 2 },
    { name: `vlc-${suffix}`, host: h(1), tag: 20, n: 3, ping: ip(1) },
    { name: `vld-${suffix}`, host: h(0), tag: 20, n: 4, ping: ip(3) },
  ] as const;
  for (const g of guests) {
    const path = join(lab().sharedDir, `${g.name}.xml`);
    files.push(path, join(lab().sharedDir, `${g.name}.serial.log`));
    writeFileSync(
      path,
      domainXml(g.name, nets[g.tag], image.kernel, initrd, {
        ip: ip(g.n),
        mac: mac(g.n),
        ...('ping' in g ? { ping: g.ping } : {}),
      }),
    );
    assert.equal((await virsh(g.host, 'define', path)).code, 0);
    defined.push({ host: g.host, name: g.name });
    const r = await virsh(g.host, 'start', g.name);
    assert.equal(r.code, 0, r.stderr);
  }
  const [a, , c, d] = guests;
  await waitFor(
    'VLAN 10: h1 guest reaches h2 guest',
    async () => pings(a.name).at(-1) === 'NETGUEST PING OK',
    120_000,
    500,
  );
  await waitFor(
    'VLAN 20: h1 guest reaches h2 guest',
    async () => pings(d.name).at(-1) === 'NETGUEST PING OK',
    120_000,
    500,
  );
  // By now c has been up as long as d (and d reaches it): every one of its pings into VLAN 10 failed.
  await waitFor('a few pings from VLAN 20 into VLAN 10', async () => pings(c.name).length >= 5, 60_000, 500);
  assert.deepEqual(new Set(pings(c.name)), new Set(['NETGUEST PING FAIL']), 'VLAN 20 never reached VLAN 10');

  // Deleting the networks takes the sub-interfaces and bridges away on both hosts.
  for (const g of guests) {
    await virsh(g.host, 'destroy', g.name);
    await virsh(g.host, 'undefine', g.name);
  }
  defined.length = 0;
  for (const id of networkIds.splice(0)) await api.network.delete.mutate({ networkId: id });
  for (const host of lab().hosts) {
    for (const tag of [10, 20] as const) {
      const { sub, bridge } = vlanInterfaceNames({ parent: 'eth0', tag });
      assert.equal(await link(host, sub), null, `${sub} gone on ${host.name}`);
      assert.equal(await link(host, bridge), null, `${bridge} gone on ${host.name}`);
    }
  }
});
