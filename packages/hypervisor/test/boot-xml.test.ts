import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VireoError } from '@vireo/protocol';
import { buildDomainXml } from '../src/domain-xml.ts';
import type { DomainSpec } from '../src/hypervisor.ts';
import { validateXml } from '../src/validate-xml.ts';
import { applyBoot, readBoot } from '../src/xml/boot.ts';

const spec: DomainSpec = {
  uuid: '8b3c0c1e-1111-4222-8333-444455556666',
  name: 'boot-1',
  type: 'qemu',
  vcpus: 1,
  memoryMiB: 256,
  boot: { firmware: 'bios', order: ['hd', 'cdrom'] },
  disks: [
    { path: '/v/a.qcow2', device: 'disk', bus: 'virtio', format: 'qcow2', readOnly: false },
    { device: 'cdrom', bus: 'sata', format: 'raw', readOnly: true },
    { path: '/v/b.raw', device: 'disk', bus: 'sata', format: 'raw', readOnly: false },
  ],
  nics: [{ network: 'default', model: 'virtio', mac: '52:54:00:aa:bb:01' }],
  serialLogPath: '/v/boot-1.serial.log',
};

const xml = buildDomainXml(spec);

test('os/boot dev is read as the first device of its kind', () => {
  assert.deepEqual(readBoot(xml), {
    firmware: 'bios',
    order: [
      { kind: 'disk', target: 'vda' },
      { kind: 'disk', target: 'sda' },
    ],
  });
});

test('a per-device order replaces os/boot and validates against libvirt schema', async () => {
  const order = [
    { kind: 'nic', mac: '52:54:00:AA:BB:01' },
    { kind: 'disk', target: 'sdb' },
    { kind: 'disk', target: 'vda' },
  ] as const;
  const next = applyBoot(xml, { firmware: 'bios', order: [...order] }, undefined);
  assert.doesNotMatch(next, /<boot dev=/);
  assert.match(next, /<target dev="sdb" bus="sata"\/>[\s\S]*?<boot order="2"\/>\s*<\/disk>/);
  assert.deepEqual(readBoot(next).order, [
    { kind: 'nic', mac: '52:54:00:aa:bb:01' },
    { kind: 'disk', target: 'sdb' },
    { kind: 'disk', target: 'vda' },
  ]);
  // Everything else comes back as it was.
  assert.match(next, /<name>boot-1<\/name>/);
  assert.ok(next.includes('managed') && next.includes('/v/boot-1.serial.log'));
  await validateXml(next, 'domain');
  // A second change moves the marks: only listed devices keep one.
  const again = applyBoot(next, { firmware: 'bios', order: [{ kind: 'disk', target: 'vda' }] }, undefined);
  assert.equal((again.match(/<boot order=/g) ?? []).length, 1);
  assert.deepEqual(readBoot(again).order, [{ kind: 'disk', target: 'vda' }]);
});

test('switching to UEFI and back sets and removes the firmware elements', async () => {
  const uefi = applyBoot(xml, { firmware: 'uefi', order: [{ kind: 'disk', target: 'vda' }] }, { kind: 'auto' });
  assert.match(uefi, /<os firmware="efi">/);
  assert.match(uefi, /<feature enabled="no" name="secure-boot"\/>/);
  assert.equal(readBoot(uefi).firmware, 'uefi');
  await validateXml(uefi, 'domain');
  const loader = applyBoot(xml, { firmware: 'uefi', order: [] }, { kind: 'loader', path: '/usr/share/OVMF/X.fd' });
  assert.match(loader, /<loader readonly="yes" type="pflash">\/usr\/share\/OVMF\/X.fd<\/loader>/);
  assert.match(loader, /<boot dev="hd"\/>/, 'an empty order keeps os/boot');
  // libvirt's own expansion of a UEFI domain: loader and nvram go with the firmware.
  const expanded = uefi.replace(
    '</os>',
    "<loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader><nvram>/var/lib/libvirt/qemu/nvram/boot-1_VARS.fd</nvram></os>",
  );
  const bios = applyBoot(expanded, { firmware: 'bios', order: [{ kind: 'disk', target: 'vda' }] }, undefined);
  assert.doesNotMatch(bios, /firmware=|<loader|<nvram|secure-boot/);
  assert.equal(readBoot(bios).firmware, 'bios');
  await validateXml(bios, 'domain');
});

test('an unknown or repeated device is refused', () => {
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (err) {
      return VireoError.is(err, 'BAD_INPUT') ? (err as Error).message : 'other';
    }
    return 'none';
  };
  assert.match(
    code(() => applyBoot(xml, { firmware: 'bios', order: [{ kind: 'disk', target: 'vdz' }] }, undefined)),
    /no disk vdz/,
  );
  assert.match(
    code(() => applyBoot(xml, { firmware: 'bios', order: [{ kind: 'nic', mac: '52:54:00:00:00:09' }] }, undefined)),
    /no NIC/,
  );
  assert.match(
    code(() =>
      applyBoot(
        xml,
        {
          firmware: 'bios',
          order: [
            { kind: 'disk', target: 'vda' },
            { kind: 'disk', target: 'vda' },
          ],
        },
        undefined,
      ),
    ),
    /twice/,
  );
  assert.match(
    code(() => applyBoot(xml, { firmware: 'uefi', order: [] }, undefined)),
    /other/,
  );
});
