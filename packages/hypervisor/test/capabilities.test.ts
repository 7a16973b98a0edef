import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { kvmDeviceUsable, parseCapabilities, usableDomainTypes } from '../src/capabilities.ts';

// Saved from a host whose /dev/kvm is masked (libvirt 9.0.0, QEMU 7.2): libvirt offers qemu only.
const qemuOnly = readFileSync(new URL('./fixtures/capabilities-qemu-only.xml', import.meta.url), 'utf8');
// The same host as if KVM worked: libvirt then adds <domain type='kvm'/> to each arch.
const withKvm = qemuOnly.replaceAll("<domain type='qemu'/>", "<domain type='qemu'/>\n      <domain type='kvm'/>");

test('qemu-only host', () => {
  const caps = parseCapabilities(qemuOnly);
  assert.equal(caps.hostUuid, '1295efd3-1f13-4aa8-b2a0-a5e5a437894b');
  assert.equal(caps.cpuModel, 'Broadwell');
  assert.deepEqual(caps.domainTypes, ['qemu']);
});

test('kvm is preferred when offered and usable, dropped when the device is not usable', async () => {
  const caps = parseCapabilities(withKvm);
  assert.deepEqual(caps.domainTypes, ['kvm', 'qemu']);
  assert.deepEqual(await usableDomainTypes(caps, async () => true), ['kvm', 'qemu']);
  assert.deepEqual(await usableDomainTypes(caps, async () => false), ['qemu']);
});

test('only x86_64 hvm guests count', () => {
  const i686Only = withKvm.replace(/<guest>\s*<os_type>hvm<\/os_type>\s*<arch name='x86_64'>[\s\S]*?<\/guest>/, '');
  assert.deepEqual(parseCapabilities(i686Only).domainTypes, []);
});

test('a masked /dev/kvm is not a KVM device', async () => {
  assert.equal(await kvmDeviceUsable('/dev/null'), false);
  assert.equal(await kvmDeviceUsable('/nonexistent/kvm'), false);
});
