/**
 * Networks and security groups on the real lab, through Vireo's API, checked in each lab host's
 * libvirt (virsh) and kernel (iptables): the default NAT network reaches every host; a new cluster
 * network is defined, started and autostarted on both hosts; IPAM refuses overlaps and bad
 * ranges; a static lease shows in libvirt's live network XML and goes again; a security group
 * becomes an nwfilter, and a rule change reaches a running guest's interface live; a network and
 * a group in use by a domain are not deleted.
 */
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { type Api, admin, rejection } from '../support/api.ts';
import { inHost, type LabHost, lab, virsh, waitFor } from '../support/lab.ts';

let api: Api;
let clusterId: string;
const suffix = randomInt(1000, 9999);
const netName = `t${suffix}`;
const libvirtName = `vireo-${netName}`;
const third = randomInt(10, 250);
const cidr = `10.199.${third}.0/24`;
const domName = `nettest-${suffix}`;
let networkId: string | undefined;
let groupId: string | undefined;
let domainXmlPath: string | undefined;

const hosts = (): LabHost[] => lab().hosts;

/** `virsh net-info` as a map: Active, Autostart, Bridge… */
async function netInfo(host: LabHost, name: string): Promise<Record<string, string> | null> {
  const r = await virsh(host, 'net-info', name);
  if (r.code !== 0) return null;
  return Object.fromEntries(
    r.stdout
      .split('\n')
      .map((l) => l.split(/:\s+/))
      .filter((p) => p.length === 2)
      .map(([k, v]) => [k!.trim(), v!.trim()]),
  );
}

before(async () => {
  ({ api } = await admin());
  const first = (await api.host.list.query()).find((h) => h.name === hosts()[0]!.name);
  assert.ok(first, 'lab host 1 is enrolled');
  const cluster = (await api.network.clusters.query()).find((c) => c.name === first.clusterName);
  assert.ok(cluster);
  clusterId = cluster.id;
});

after(async () => {
  // Leave the lab as found, whatever failed above.
  for (const h of hosts()) {
    await virsh(h, 'destroy', domName);
    await virsh(h, 'undefine', domName);
  }
  if (domainXmlPath) rmSync(domainXmlPath, { force: true });
  if (groupId) await api.network.deleteSecurityGroup.mutate({ groupId }).catch(() => {});
  if (networkId) await api.network.delete.mutate({ networkId }).catch(() => {});
});

test('the default NAT network is on every lab host, active and autostarted', async () => {
  const list = await api.network.list.query();
  const def = list.find((n) => n.name === 'default' && n.clusterId === clusterId);
  assert.ok(def, 'a default network exists for the cluster');
  assert.equal(def.mode, 'nat');
  for (const h of hosts()) {
    // Applied when the host connected, in the background: give it a moment.
    const info = await waitFor(`vireo-default on ${h.name}`, () => netInfo(h, 'vireo-default'), 20_000, 250);
    assert.equal(info.Active, 'yes', `${h.name}: ${JSON.stringify(info)}`);
    assert.equal(info.Autostart, 'yes');
  }
});

test('a cluster NAT network is created on both hosts; IPAM refuses overlaps and bad ranges', async () => {
  const base = { clusterId, scope: 'cluster' as const, mode: 'nat' as const };
  const range = { dhcpStart: `10.199.${third}.100`, dhcpEnd: `10.199.${third}.200` };
  const outside = await rejection(
    api.network.create.mutate({ ...base, name: `${netName}x`, cidr, ...range, dhcpEnd: `10.199.${third + 1}.5` }),
  );
  assert.equal(outside.code, 'BAD_INPUT');
  assert.match(outside.message, /DHCP range end/);
  const notNetwork = await rejection(
    api.network.create.mutate({ ...base, name: `${netName}x`, cidr: `10.199.${third}.7/24`, ...range }),
  );
  assert.match(notNetwork.message, /did you mean 10\.199\.\d+\.0\/24/);

  const created = await api.network.create.mutate({ ...base, name: netName, cidr, ...range });
  networkId = created.id;
  for (const h of hosts()) {
    const info = await netInfo(h, libvirtName);
    assert.ok(info, `${libvirtName} defined on ${h.name}`);
    assert.equal(info.Active, 'yes');
    assert.equal(info.Autostart, 'yes');
    assert.equal(info.Bridge, created.bridge);
    const xml = (await virsh(h, 'net-dumpxml', libvirtName)).stdout;
    assert.match(xml, new RegExp(`<ip address='10\\.199\\.${third}\\.1' (prefix='24'|netmask='255\\.255\\.255\\.0')>`));
    assert.match(xml, new RegExp(`<range start='10\\.199\\.${third}\\.100' end='10\\.199\\.${third}\\.200'`));
  }
  const overlap = await rejection(
    api.network.create.mutate({
      ...base,
      name: `${netName}y`,
      cidr: '10.199.0.0/16',
      dhcpStart: '10.199.0.10',
      dhcpEnd: '10.199.0.20',
    }),
  );
  assert.equal(overlap.code, 'CONFLICT');
  assert.match(overlap.message, new RegExp(`overlaps network ${netName}`));
  const dup = await rejection(
    api.network.create.mutate({
      ...base,
      name: netName,
      cidr: '10.198.0.0/24',
      dhcpStart: '10.198.0.10',
      dhcpEnd: '10.198.0.20',
    }),
  );
  assert.equal(dup.code, 'CONFLICT');

  const listed = (await api.network.list.query()).find((n) => n.id === networkId);
  assert.deepEqual(
    listed?.hosts.map((s) => [s.hostName, s.status, s.status === 'ok' && s.active]).sort(),
    hosts()
      .map((h) => [h.name, 'ok', true])
      .sort(),
  );
});

test('a static lease appears in libvirt live network XML on every host, and goes again', async () => {
  assert.ok(networkId);
  const mac = `52:54:00:${suffix.toString(16).padStart(4, '0').slice(0, 2)}:${suffix.toString(16).padStart(4, '0').slice(2)}:01`;
  const ip = `10.199.${third}.20`;
  const inRange = await rejection(api.network.addStaticLease.mutate({ networkId, mac, ip: `10.199.${third}.150` }));
  assert.equal(inRange.code, 'BAD_INPUT');
  const net = await api.network.addStaticLease.mutate({ networkId, mac: mac.toUpperCase(), ip, hostname: 'web-1' });
  const lease = net.staticLeases.find((l) => l.mac === mac);
  assert.ok(lease, 'MAC stored lowercase');
  const hostXml = `<host mac='${mac}' name='web-1' ip='${ip}'/>`;
  for (const h of hosts()) {
    // Without --inactive, net-dumpxml shows the running network: the change is live.
    const live = (await virsh(h, 'net-dumpxml', libvirtName)).stdout;
    assert.ok(live.includes(hostXml), `${h.name} live XML has the lease:\n${live}`);
    const saved = (await virsh(h, 'net-dumpxml', '--inactive', libvirtName)).stdout;
    assert.ok(saved.includes(hostXml), `${h.name} persistent XML has it too`);
    // dnsmasq got it as well (libvirt writes its hostsfile on a live update).
    const hostsfile = await inHost(h, ['cat', `/var/lib/libvirt/dnsmasq/${libvirtName}.hostsfile`]);
    assert.match(hostsfile.stdout, new RegExp(`${mac},${ip.replaceAll('.', '\\.')},web-1`));
  }
  const sameMac = await rejection(api.network.addStaticLease.mutate({ networkId, mac, ip: `10.199.${third}.21` }));
  assert.equal(sameMac.code, 'CONFLICT');
  const sameIp = await rejection(api.network.addStaticLease.mutate({ networkId, mac: '52:54:00:00:00:77', ip }));
  assert.equal(sameIp.code, 'CONFLICT');
  // Leases are read live from libvirt (no guest asked for one yet: none, but the call reaches dnsmasq's state).
  assert.deepEqual(await api.network.leases.query({ networkId }), []);

  await api.network.removeStaticLease.mutate({ networkId, leaseId: lease.id });
  for (const h of hosts()) {
    const live = (await virsh(h, 'net-dumpxml', libvirtName)).stdout;
    assert.ok(!live.includes(mac), `${h.name}: the lease is gone from the live XML`);
  }
});

test("a security group becomes an nwfilter; rule changes reach a running guest's interface live", async () => {
  assert.ok(networkId);
  const group = await api.network.createSecurityGroup.mutate({
    name: `web-${suffix}`,
    rules: [
      { direction: 'in', protocol: 'tcp', portStart: 22, portEnd: null, cidr: '10.0.0.0/8' },
      { direction: 'out', protocol: 'all', portStart: null, portEnd: null, cidr: null },
    ],
  });
  groupId = group.id;
  assert.equal(group.filterName, `vireo-sg-${group.id.toLowerCase()}`);
  for (const h of hosts()) {
    const xml = (await virsh(h, 'nwfilter-dumpxml', group.filterName)).stdout;
    assert.match(xml, /<tcp srcipaddr='10\.0\.0\.0' srcipmask='8' dstportstart='22'\/>/, `${h.name}:\n${xml}`);
    assert.match(xml, /<rule action='drop' direction='inout' priority='900'>\s*<all\/>/);
  }

  // A guest on host 1 with a NIC on the network, filtered by the group (as VM create will do).
  const h1 = hosts()[0]!;
  const image = JSON.parse(readFileSync(process.env.VIREO_TEST_LAB_JSON!, 'utf8')).image as {
    kernel: string;
    initrd: string;
  };
  domainXmlPath = join(lab().sharedDir, `${domName}.xml`);
  writeFileSync(
    domainXmlPath,
    `<domain type='qemu'><name>${domName}</name><memory unit='MiB'>128</memory><vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type><kernel>${image.kernel}</kernel><initrd>${image.initrd}</initrd><cmdline>console=ttyS0</cmdline></os>
  <devices><interface type='network'><source network='${libvirtName}'/><model type='virtio'/>
  <filterref filter='${group.filterName}'/></interface><serial type='pty'/></devices></domain>`,
  );
  assert.equal((await virsh(h1, 'define', domainXmlPath)).code, 0);
  const started = await virsh(h1, 'start', domName);
  assert.equal(started.code, 0, started.stderr);
  const tap = (await virsh(h1, 'domiflist', domName)).stdout.trim().split(/\s+/)[0]!;
  assert.match(tap, /^vnet\d+$/);
  // Traffic to the guest leaves the bridge through the tap: libvirt's chain FO-<tap>.
  const chain = async () => (await inHost(h1, ['iptables', '-S', `FO-${tap}`])).stdout;
  assert.match(await chain(), /-s 10\.0\.0\.0\/8 -p tcp -m tcp --dport 22 .*-j ACCEPT/);
  assert.doesNotMatch(await chain(), /--dport 8080/);

  const withRule = await api.network.addRule.mutate({
    groupId,
    rule: { direction: 'in', protocol: 'tcp', portStart: 8080, portEnd: 8081, cidr: '192.168.7.0/24' },
  });
  assert.equal(withRule.rules.length, 3);
  await waitFor(
    'the new rule in the guest interface chain',
    async () => /--dport 8080:8081/.test(await chain()),
    10_000,
    200,
  );
  assert.match(await chain(), /-s 192\.168\.7\.0\/24 -p tcp -m tcp --dport 8080:8081/);
  const ssh = withRule.rules.find((r) => r.portStart === 22)!;
  await api.network.removeRule.mutate({ groupId, ruleId: ssh.id });
  await waitFor('the removed rule gone from the chain', async () => !/--dport 22 /.test(await chain()), 10_000, 200);
  const nw = (await virsh(h1, 'nwfilter-dumpxml', group.filterName)).stdout;
  assert.doesNotMatch(nw, /dstportstart='22'/);

  // In use: neither the network nor the group can go; the refusal names the domain.
  const netBusy = await rejection(api.network.delete.mutate({ networkId }));
  assert.equal(netBusy.code, 'CONFLICT');
  assert.match(netBusy.message, new RegExp(domName));
  assert.ok(await netInfo(h1, libvirtName), 'still defined on host 1');
  assert.ok(await netInfo(hosts()[1]!, libvirtName), 'still (or again) defined on host 2');
  const groupBusy = await rejection(api.network.deleteSecurityGroup.mutate({ groupId }));
  assert.equal(groupBusy.code, 'CONFLICT');
  assert.equal((await virsh(h1, 'nwfilter-dumpxml', group.filterName)).code, 0);

  // Once the domain is gone, both go, from every host.
  await virsh(h1, 'destroy', domName);
  assert.equal((await virsh(h1, 'undefine', domName)).code, 0);
  await api.network.deleteSecurityGroup.mutate({ groupId });
  groupId = undefined;
  await api.network.delete.mutate({ networkId });
  networkId = undefined;
  for (const h of hosts()) {
    assert.equal(await netInfo(h, libvirtName), null, `${libvirtName} gone from ${h.name}`);
    assert.notEqual((await virsh(h, 'nwfilter-dumpxml', group.filterName)).code, 0);
  }
  assert.ok(!(await api.network.list.query()).some((n) => n.name === netName));
});
