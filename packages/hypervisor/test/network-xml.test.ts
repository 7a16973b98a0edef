import assert from 'node:assert/strict';
import { test } from 'node:test';
import { libvirtNetworkName, type NetworkSpec, securityGroupFilterName } from '@vireo/protocol';
import {
  buildNetworkXml,
  buildNwfilterXml,
  domainNetworkNames,
  netmaskToPrefix,
  parseNetworkXml,
  parseNwfilterXml,
} from '../src/network-xml.ts';
import { FakeNetworkOps } from '../src/fake-networks.ts';
import { validateXml } from '../src/validate-xml.ts';

const nat: NetworkSpec = {
  name: 'vireo-default',
  mode: 'nat',
  bridge: 'vb0123456789',
  ipv4: {
    address: '192.168.124.1',
    prefix: 24,
    dhcp: { start: '192.168.124.100', end: '192.168.124.254' },
    hosts: [
      { mac: '52:54:00:aa:bb:cc', ip: '192.168.124.10', hostname: 'web-1' },
      { mac: '52:54:00:aa:bb:cd', ip: '192.168.124.11' },
    ],
  },
};
const isolated: NetworkSpec = {
  name: 'vireo-back',
  mode: 'isolated',
  bridge: 'vb-back',
  ipv4: { address: '10.9.0.1', prefix: 16, hosts: [] },
};
const bridged: NetworkSpec = { name: 'vireo-lan', mode: 'bridged', bridge: 'br-vlan100' };

test('network XML of every mode passes virt-xml-validate and parses back to the spec', async () => {
  for (const spec of [nat, isolated, bridged]) {
    const xml = buildNetworkXml(spec, '11111111-2222-4333-8444-555566667777');
    await validateXml(xml, 'network');
    const back = parseNetworkXml(xml);
    assert.equal(back.name, spec.name);
    assert.equal(back.mode, spec.mode);
    assert.equal(back.bridge, spec.bridge);
    assert.equal(back.uuid, '11111111-2222-4333-8444-555566667777');
    assert.deepEqual(back.ipv4, spec.ipv4);
  }
});

test('modes map to libvirt forward modes', () => {
  assert.match(buildNetworkXml(nat), /<forward mode='nat'\/>/);
  assert.doesNotMatch(buildNetworkXml(isolated), /<forward/);
  assert.match(buildNetworkXml(bridged), /<forward mode='bridge'\/>\n {2}<bridge name='br-vlan100'\/>/);
  assert.doesNotMatch(buildNetworkXml(bridged), /<ip|<vlan/);
});

test('values are escaped', () => {
  const evil = {
    ...nat,
    ipv4: { ...nat.ipv4!, hosts: [{ mac: '52:54:00:aa:bb:cc', ip: '1.2.3.4', hostname: "a'/><x" }] },
  };
  const xml = buildNetworkXml(evil);
  assert.ok(xml.includes("name='a&apos;/&gt;&lt;x'"));
  assert.equal(parseNetworkXml(xml).ipv4?.hosts[0]?.hostname, "a'/><x");
});

test('parses what libvirt writes back (netmask, no prefix)', () => {
  const xml = `<network><name>n</name><uuid>u</uuid><forward mode='nat'><nat><port start='1024' end='65535'/></nat></forward>
  <bridge name='virbr9' stp='on' delay='0'/><mac address='52:54:00:01:02:03'/>
  <ip address='192.168.150.1' netmask='255.255.255.0'><dhcp><range start='192.168.150.100' end='192.168.150.200'/>
  <host mac='52:54:00:00:00:01' name='a' ip='192.168.150.10'/></dhcp></ip></network>`;
  const n = parseNetworkXml(xml);
  assert.equal(n.ipv4?.prefix, 24);
  assert.deepEqual(n.ipv4?.hosts, [{ mac: '52:54:00:00:00:01', ip: '192.168.150.10', hostname: 'a' }]);
  assert.equal(netmaskToPrefix('255.255.240.0'), 20);
});

test('nwfilter: allow rules, DHCP first, final drops; passes virt-xml-validate', async () => {
  const xml = buildNwfilterXml(
    securityGroupFilterName('ckABC123'),
    [
      { direction: 'in', protocol: 'tcp', portStart: 22, portEnd: 23, cidr: '10.0.0.0/8' },
      { direction: 'in', protocol: 'icmp' },
      { direction: 'out', protocol: 'udp', portStart: 53, cidr: '192.168.1.0/24' },
      { direction: 'out', protocol: 'all' },
    ],
    '0c367111-549c-4015-9076-b7e1ab34cd34',
  );
  await validateXml(xml, 'nwfilter');
  assert.deepEqual(parseNwfilterXml(xml), { name: 'vireo-sg-ckabc123', uuid: '0c367111-549c-4015-9076-b7e1ab34cd34' });
  assert.ok(xml.includes("<tcp srcipaddr='10.0.0.0' srcipmask='8' dstportstart='22' dstportend='23'/>"));
  assert.ok(xml.includes("<udp dstipaddr='192.168.1.0' dstipmask='24' dstportstart='53'/>"));
  assert.ok(xml.includes("<rule action='accept' direction='in' priority='500'>\n    <icmp/>"));
  assert.ok(xml.indexOf("dstportstart='67'") < xml.indexOf('<tcp'), 'DHCP before the group rules');
  assert.ok(xml.trimEnd().endsWith('<all-ipv6/>\n  </rule>\n</filter>'), 'drops last');
  assert.equal(xml.match(/action='drop'/g)?.length, 2);
});

test('an empty group drops everything but DHCP, and validates', async () => {
  const xml = buildNwfilterXml('vireo-sg-x', []);
  await validateXml(xml, 'nwfilter');
  assert.equal(xml.match(/action='accept'/g)?.length, 2);
});

test('names the domain XML builder shares with the manager', () => {
  assert.equal(libvirtNetworkName('default'), 'vireo-default');
  assert.equal(securityGroupFilterName('cmABC'), 'vireo-sg-cmabc');
  const dom = `<domain><devices><interface type='network'><source network='vireo-a'/></interface>
    <interface type='bridge'><source bridge='br0'/></interface><interface type='network'><source network='vireo-b'/></interface></devices></domain>`;
  assert.deepEqual(domainNetworkNames(dom), ['vireo-a', 'vireo-b']);
});

test('fake networks keep static hosts and filters like libvirt', async () => {
  const f = new FakeNetworkOps();
  await f.create(nat);
  await f.updateDhcpHost(nat.name, 'add', { mac: '52:54:00:00:00:99', ip: '192.168.124.99' });
  await f.updateDhcpHost(nat.name, 'delete', { mac: '52:54:00:aa:bb:cc', ip: '192.168.124.10' });
  assert.deepEqual(
    (await f.get(nat.name))?.ipv4?.hosts.map((h) => h.mac),
    ['52:54:00:aa:bb:cd', '52:54:00:00:00:99'],
  );
  await f.defineFilter('vireo-sg-a', [{ direction: 'in', protocol: 'icmp' }]);
  const uuid = parseNwfilterXml((await f.filterXml('vireo-sg-a'))!).uuid;
  await f.defineFilter('vireo-sg-a', []);
  assert.equal(parseNwfilterXml((await f.filterXml('vireo-sg-a'))!).uuid, uuid, 'redefine keeps the uuid');
  assert.equal(await f.remove(nat.name), true);
  assert.equal(await f.remove(nat.name), false);
});
