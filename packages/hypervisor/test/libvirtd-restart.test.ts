import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { HypervisorConnection } from '../src/hypervisor.ts';
import { LibvirtDbusHypervisor } from '../src/libvirt-dbus.ts';
import { libvirtdIdentity } from '../src/libvirtd-identity.ts';
import { FakeWorld } from './fake-bus.ts';

async function until(what: string, cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('libvirtd identity: pid and start time of a live process, null for a dead or missing one', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vireo-libvirtd-'));
  try {
    const file = join(dir, 'libvirtd.pid');
    assert.equal(await libvirtdIdentity([file]), null, 'no pidfile');
    await writeFile(file, `${process.pid}\n`);
    assert.match((await libvirtdIdentity([file])) ?? '', new RegExp(`^${process.pid}:\\d+$`));
    await writeFile(file, '999999999\n');
    assert.equal(await libvirtdIdentity([file]), null, 'a pid that lives nowhere');
  } finally {
    await rm(dir, { recursive: true });
  }
});

test('libvirtd restarted behind libvirt-dbus: libvirt-dbus is called again, then up (resync); requests never refused', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vireo-libvirtd-'));
  const file = join(dir, 'libvirtd.pid');
  const successor = spawn('sleep', ['30'], { stdio: 'ignore' });
  const world = new FakeWorld();
  await writeFile(file, `${process.pid}\n`);
  const hv = new LibvirtDbusHypervisor({
    bus: world.factory,
    reconnectBackoff: { initialMs: 10, maxMs: 40 },
    libvirtdWatchMs: 20,
    libvirtdPidfiles: [file],
  });
  try {
    await hv.connect();
    const changes: HypervisorConnection[] = [];
    hv.onConnectionChange((c) => changes.push(c));
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(changes, [], 'the same daemon: nothing to report');

    await rm(file); // between two lives: no pidfile is not a restart yet
    await new Promise((r) => setTimeout(r, 60));
    assert.deepEqual(changes, []);

    const restarted = Date.now();
    await writeFile(file, `${successor.pid}\n`);
    await until('up (the owner resyncs)', () => changes.length === 1);
    assert.deepEqual(changes, [{ up: true }], 'never reported down: requests keep working');
    assert.ok(world.pokes(restarted).length >= 1, 'libvirt-dbus was called, so it reopens libvirt and its events');
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(changes.length, 1, 'reported once');
  } finally {
    await hv.close();
    successor.kill();
    await rm(dir, { recursive: true, force: true });
  }
});
