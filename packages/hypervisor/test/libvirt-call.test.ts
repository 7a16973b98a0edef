import assert from 'node:assert/strict';
import { test } from 'node:test';
import dbus from 'dbus-next';
import { VireoError } from '@vireo/protocol';
import { domainPath, uuidFromDomainPath, wrapLibvirtError } from '../src/libvirt-call.ts';

// Texts as libvirt-dbus 1.4.1 returned them on a real host.
test('"Domain not found" becomes NOT_FOUND for a vm, keeping libvirt\'s message', () => {
  const text = "Domain not found: no domain with matching uuid '11111111-1111-1111-1111-111111111111'";
  const e = wrapLibvirtError(new dbus.DBusError('org.libvirt.Error', text), 'start domain x');
  assert.ok(VireoError.is(e, 'NOT_FOUND', 'vm'));
  assert.deepEqual(e.libvirt, { message: text });
});

test('operation-invalid becomes INVALID_STATE; anything else LIBVIRT_ERROR', () => {
  const inv = wrapLibvirtError(
    new dbus.DBusError('org.libvirt.Error', 'Requested operation is not valid: domain is not running'),
    'force off domain x',
  );
  assert.ok(VireoError.is(inv, 'INVALID_STATE', 'vm'));
  const other = wrapLibvirtError(
    new dbus.DBusError('org.libvirt.Error', 'missing name information'),
    'define domain x',
  );
  assert.ok(VireoError.is(other, 'LIBVIRT_ERROR'));
  assert.match(other.message, /define domain x: missing name information/);
  assert.equal(other.libvirt?.message, 'missing name information');
});

test('libvirt-dbus absent from the bus is a LIBVIRT_ERROR that says so', () => {
  const e = wrapLibvirtError(
    new dbus.DBusError('org.freedesktop.DBus.Error.ServiceUnknown', 'The name org.libvirt was not provided'),
    'list domains',
  );
  assert.ok(VireoError.is(e, 'LIBVIRT_ERROR'));
  assert.match(e.message, /libvirt-dbus/);
});

test('errors are wrapped once', () => {
  const once = new VireoError('TIMEOUT', 'x');
  assert.equal(wrapLibvirtError(once, 'y'), once);
});

test('domain object paths encode the uuid', () => {
  const uuid = '8b3c0c1e-0000-4000-8000-000000000001';
  const p = domainPath('/org/libvirt/QEMU', uuid);
  assert.equal(p, '/org/libvirt/QEMU/domain/_8b3c0c1e_0000_4000_8000_000000000001');
  assert.equal(uuidFromDomainPath(p), uuid);
});
