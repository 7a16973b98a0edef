import assert from 'node:assert/strict';
import { test } from 'node:test';
import { serialPtyOf } from '../src/ops/consoles.ts';

// The shape of a running lab guest's live XML (libvirt 9.0.0): the pty path appears on <serial>
// and again on <console>, which is the same port.
const live = `<domain type='qemu'><name>demo1</name><devices>
  <serial type='pty'>
    <source path='/dev/pts/3'/>
    <log file='/shared/vms/demo1.serial.log' append='off'/>
    <target type='isa-serial' port='0'><model name='isa-serial'/></target>
    <alias name='serial0'/>
  </serial>
  <console type='pty' tty='/dev/pts/3'>
    <source path='/dev/pts/3'/>
    <target type='serial' port='0'/>
  </console>
</devices></domain>`;

test('the first serial port’s pty comes from the live XML', () => {
  assert.equal(serialPtyOf(live), '/dev/pts/3');
});

test('a domain that is not running (no source path) or has no pty serial has no serial console', () => {
  assert.equal(serialPtyOf(live.replace("<source path='/dev/pts/3'/>\n    <log", '<log')), null);
  assert.equal(
    serialPtyOf(`<domain><devices><serial type='file'><source path='/tmp/x'/></serial></devices></domain>`),
    null,
  );
  assert.equal(serialPtyOf('<domain><devices/></domain>'), null);
});

test('port 0 is chosen over a second port listed first', () => {
  const two = `<domain><devices>
    <serial type='pty'><source path='/dev/pts/9'/><target port='1'/></serial>
    <serial type='pty'><source path='/dev/pts/4'/><target port='0'/></serial>
  </devices></domain>`;
  assert.equal(serialPtyOf(two), '/dev/pts/4');
});
