/**
 * Storage XML is checked against libvirt's schema without a virt-xml-validate spawn per call:
 * a pool's by libvirt itself (StoragePoolDefineXML with VIR_STORAGE_POOL_DEFINE_VALIDATE), a
 * volume's by the long-lived xmllint of validate-xml.ts (libvirt 9.0 refuses the volume flag on
 * valid XML). Proven on a lab host's real libvirt: the storage facet is used as the agent uses
 * it, with the XML spoiled on its way by an element libvirt's parser ignores but the schema
 * refuses; the refusal is BAD_INPUT naming the element, nothing is made, and the same XML sent
 * to libvirt without a check would have been taken.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { VireoError } from '@vireo/protocol';
import dbus from 'dbus-next';
import { callLibvirt } from '../../packages/hypervisor/src/libvirt-call.ts';
import { buildVolumeXml } from '../../packages/hypervisor/src/ops/storage-xml.ts';
import { LibvirtStorage } from '../../packages/hypervisor/src/ops/storage.ts';
import { validateXml } from '../../packages/hypervisor/src/validate-xml.ts';
import { ensureDefaultPool } from '../support/hardware-fixtures.ts';
import { inHost, lab, virsh } from '../support/lab.ts';
import { uniqueName } from '../support/api.ts';

const host = lab().hosts[0]!;
const dbusSocket = (host as unknown as { dbusSocket: string }).dbusSocket;
const bus = dbus.sessionBus({ busAddress: `unix:path=${dbusSocket}` });
const CONNECT = '/org/libvirt/QEMU';
const SPOILED = new Set(['StoragePoolDefineXML', 'StorageVolCreateXML', 'StorageVolCreateXMLFrom']);
const run = uniqueName('xv');

/** What goes to libvirt in a create/define call, when set, is changed on the way. */
let spoil: ((xml: string) => string) | undefined;
const calls: { method: string; flags: number }[] = [];
const storage = new LibvirtStorage((path, iface, method, signature, args, what, timeoutMs) => {
  let a = args;
  if (SPOILED.has(method)) {
    calls.push({ method, flags: args.at(-1) as number });
    if (spoil) a = [spoil(args[0] as string), ...args.slice(1)];
  }
  return callLibvirt(bus, { path, iface, method, signature, args: a, what, ...(timeoutMs ? { timeoutMs } : {}) });
}, CONNECT);
const bogus = (root: string) => (xml: string) => xml.replace(`</${root}>`, `<bogus-${run}/></${root}>`);

const refusedBySchema = (e: unknown) => {
  assert.ok(VireoError.is(e, 'BAD_INPUT'), String(e));
  assert.match((e as Error).message, /does not match libvirt's schema/);
  assert.match((e as Error).message, new RegExp(`bogus-${run}`));
  return true;
};

before(async () => {
  await ensureDefaultPool(host);
});
after(async () => {
  spoil = undefined;
  for (const v of [`${run}-src.qcow2`, `${run}-ok.qcow2`, `${run}-raw.qcow2`]) {
    await virsh(host, 'vol-delete', '--pool', 'default', v);
  }
  await virsh(host, 'pool-undefine', `${run}-pool`);
  bus.disconnect();
});

test('volumes: made and copied (flags 0); XML that breaks the schema is refused before libvirt, which would take it', async () => {
  const src = await storage.createVolume('default', {
    name: `${run}-src.qcow2`,
    format: 'qcow2',
    capacityBytes: 1 << 20,
  });
  assert.deepEqual(calls.at(-1), { method: 'StorageVolCreateXML', flags: 0 });
  const copy = await storage.copyVolume('default', { name: `${run}-ok.qcow2`, sourcePath: src.path, format: 'qcow2' });
  assert.equal(copy.capacityBytes, 1 << 20);
  assert.deepEqual(calls.at(-1), { method: 'StorageVolCreateXMLFrom', flags: 0 });
  // Spoiled on its way (after Vireo's check): libvirt's parser alone takes it…
  spoil = bogus('volume');
  const raw = await storage
    .createVolume('default', { name: `${run}-raw.qcow2`, format: 'qcow2', capacityBytes: 1 << 20 })
    .finally(() => {
      spoil = undefined;
    });
  assert.equal(raw.name, `${run}-raw.qcow2`, 'libvirt took XML its schema refuses');
  const sent = bogus('volume')(buildVolumeXml({ name: `${run}-x.qcow2`, format: 'qcow2', capacityBytes: 1 << 20 }));
  // …which is why Vireo checks it first: the same XML is refused with BAD_INPUT.
  await assert.rejects(validateXml(sent, 'storagevol'), refusedBySchema);
});

test('a pool whose XML breaks the schema is refused and not defined', async () => {
  spoil = bogus('pool');
  const name = `${run}-pool`;
  const path = `/var/tmp/${run}-pool`;
  await assert.rejects(storage.ensureDirPool({ name, path }), refusedBySchema);
  spoil = undefined;
  assert.equal(await storage.pool(name), null);
  assert.equal((await virsh(host, 'pool-info', name)).code === 0, false);
  assert.deepEqual(calls.at(-1), { method: 'StoragePoolDefineXML', flags: 1 }, 'VIR_STORAGE_POOL_DEFINE_VALIDATE');
  // Valid XML with the flag: defined, built and started.
  const pool = await storage.ensureDirPool({ name, path });
  assert.equal(pool.state, 'running');
  assert.deepEqual(calls.at(-1), { method: 'StoragePoolDefineXML', flags: 1 });
  await storage.removePool(name);
  await inHost(host, ['rm', '-rf', path]);
});
