/**
 * libvirtd restarted behind a live libvirt-dbus: libvirt-dbus keeps its dead libvirt connection
 * and re-registers its event callbacks only on its next call, so what happens in that gap emits
 * no signal. Vireo must notice the restart and resync on its own.
 *
 * The change in the gap is `virsh suspend` (instant): `virsh destroy` of a TCG guest takes ~2.5 s
 * here, longer than the test stack's 2 s stats period, whose calls incidentally wake libvirt-dbus
 * up, so a destroy's event would usually arrive even without a fix. The destroy follows, and must
 * show within seconds too (events flow again after the resync).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, test } from 'node:test';
import { promisify } from 'node:util';
import { admin, createTestVm, waitTask } from '../support/api.ts';
import { domState, hostOfDomain, lab, virsh, waitFor } from '../support/lab.ts';

const exec = promisify(execFile);

test('libvirtd restart: a VM changed right after is shown as libvirt has it within seconds', async () => {
  const { api } = await admin();
  const { vmId, vm } = await createTestVm(api, 'lvd');
  assert.equal(vm.state, 'running');
  const host = await hostOfDomain(vm.uuid);
  assert.ok(host);
  after(async () => {
    await waitTask(api, (await api.vm.delete.mutate({ vmId })).taskId);
  });

  const before = lab().hosts.find((h) => h.name === host.name) as { libvirtdPid?: number } | undefined;
  const { stdout } = await exec('bash', ['lab/lab.sh', 'restart-libvirtd', '--name', lab().name, host.name]);
  const pid = Number(stdout.trim());
  assert.ok(pid > 0 && pid !== before?.libvirtdPid, `a new libvirtd (${stdout.trim()})`);
  const r = await virsh(host, 'suspend', vm.uuid);
  assert.equal(r.code, 0, r.stderr);
  const changed = Date.now();
  assert.equal(await domState(host, vm.uuid), 'paused');
  await waitFor(
    'Vireo to show the VM paused',
    async () => (await api.vm.byId.query({ vmId })).state === 'paused',
    8_000,
  );
  console.log(`suspend in the gap reached Vireo after ${Date.now() - changed} ms`);

  const d = await virsh(host, 'destroy', vm.uuid);
  assert.equal(d.code, 0, d.stderr);
  const destroyed = Date.now();
  await waitFor(
    'Vireo to show the VM shut off',
    async () => (await api.vm.byId.query({ vmId })).state === 'shutoff',
    5_000,
  );
  console.log(`destroy after the restart reached Vireo ${Date.now() - destroyed} ms after virsh returned`);
  assert.equal(await domState(host, vm.uuid), 'shut off');
});
