import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VireoError } from '@vireo/protocol';
import { buildDomainXml, escapeXml, parseDomainXml, VIREO_XMLNS } from '../src/domain-xml.ts';
import type { DomainSpec } from '../src/hypervisor.ts';
import { validateXml } from '../src/validate-xml.ts';

const spec: DomainSpec = {
  uuid: '8b3c0c1e-1111-4222-8333-444455556666',
  name: 'web-1',
  type: 'qemu',
  vcpus: 2,
  memoryMiB: 256,
  kernelPath: '/var/lib/vireo/images/vmlinuz',
  initrdPath: '/var/lib/vireo/images/initrd.img',
  cmdline: 'console=ttyS0 quiet vireo.hostname=web-1',
  disks: [{ path: '/var/lib/vireo/vms/8b3c0c1e-1111-4222-8333-444455556666.qcow2', format: 'qcow2' }],
  serialLogPath: '/var/lib/vireo/vms/8b3c0c1e-1111-4222-8333-444455556666.serial.log',
};

test('built domain XML passes virt-xml-validate', async () => {
  await validateXml(buildDomainXml(spec), 'domain');
});

test('built XML has everything Vireo relies on', () => {
  const xml = buildDomainXml(spec);
  for (const needle of [
    "<domain type='qemu'>",
    `<uuid>${spec.uuid}</uuid>`,
    "<type arch='x86_64' machine='pc'>hvm</type>",
    '<acpi/>',
    '<on_poweroff>destroy</on_poweroff>',
    "<listen type='socket'/>",
    "<model type='vga'/>",
    "<target dev='vda' bus='virtio'/>",
    `<log file='${spec.serialLogPath}' append='off'/>`,
    "<console type='pty'/>",
    VIREO_XMLNS,
  ]) {
    assert.ok(xml.includes(needle), `missing ${needle}`);
  }
  assert.doesNotMatch(xml, /port=/, 'VNC must never get a TCP port');
});

test('every value is escaped', async () => {
  const evil = { ...spec, cmdline: `a'b"c<d>e&f</cmdline><kernel>/etc/shadow`, kernelPath: "/x'/><devices>" };
  const xml = buildDomainXml(evil);
  assert.ok(xml.includes('a&apos;b&quot;c&lt;d&gt;e&amp;f&lt;/cmdline&gt;&lt;kernel&gt;/etc/shadow'));
  assert.ok(!xml.includes('<kernel>/etc/shadow'));
  await validateXml(xml, 'domain');
  assert.equal(escapeXml(`<&>"'`), '&lt;&amp;&gt;&quot;&apos;');
});

test('invalid XML is rejected with BAD_INPUT', async () => {
  const bad = buildDomainXml({ ...spec, vcpus: -1 as number });
  await assert.rejects(validateXml(bad, 'domain'), (e) => VireoError.is(e, 'BAD_INPUT'));
});

test('parses name, memory, disks, VNC socket and the Vireo mark from live XML', () => {
  const live = `<domain type='qemu' id='1'>
  <name>web-1</name><uuid>${spec.uuid}</uuid>
  <metadata><vireo:vm xmlns:vireo="${VIREO_XMLNS}" managed="yes"/></metadata>
  <memory unit='KiB'>262144</memory><vcpu placement='static'>2</vcpu>
  <devices>
    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/>
      <source file='/vms/a.qcow2' index='1'/>
      <backingStore type='file' index='2'><format type='qcow2'/><source file='/images/base.qcow2'/></backingStore>
      <target dev='vda' bus='virtio'/></disk>
    <disk type='file' device='cdrom'><target dev='hdc' bus='ide'/></disk>
    <graphics type='vnc' socket='/var/lib/libvirt/qemu/domain-1-web-1/vnc.sock'>
      <listen type='socket' socket='/var/lib/libvirt/qemu/domain-1-web-1/vnc.sock'/>
    </graphics>
  </devices></domain>`;
  const p = parseDomainXml(live);
  assert.equal(p.name, 'web-1');
  assert.equal(p.memoryMiB, 256);
  assert.equal(p.vcpus, 2);
  assert.deepEqual(p.disks, [{ path: '/vms/a.qcow2', device: 'disk', target: 'vda' }]);
  assert.equal(p.vncSocket, '/var/lib/libvirt/qemu/domain-1-web-1/vnc.sock');
  assert.equal(p.managedByVireo, true);
  assert.equal(parseDomainXml(buildDomainXml(spec)).managedByVireo, true);
  assert.equal(
    parseDomainXml(`<domain><name>x</name><memory>1024</memory><vcpu>1</vcpu></domain>`).managedByVireo,
    false,
  );
});
