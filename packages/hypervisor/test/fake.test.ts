/** The in-memory hypervisor of scale runs behaves like libvirt where the agent can tell. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VireoError } from '@vireo/protocol';
import type { DomainEvent } from '../src/hypervisor.ts';
import { FakeHypervisor } from '../src/fake.ts';

const nextEvents = (hv: FakeHypervisor, n: number) =>
  new Promise<DomainEvent[]>((resolve) => {
    const seen: DomainEvent[] = [];
    const off = hv.onDomainEvent((e) => {
      seen.push(e);
      if (seen.length === n) {
        off();
        resolve(seen);
      }
    });
  });

test('each instance is its own host, with its seeded domains', async () => {
  const a = new FakeHypervisor({ domains: [{ name: 'a1' }, { name: 'a2', state: 'shutoff' }] });
  const b = new FakeHypervisor();
  await a.connect();
  await b.connect();
  assert.notEqual((await a.hostInfo()).hostUuid, (await b.hostInfo()).hostUuid);
  const domains = await a.listDomains();
  assert.deepEqual(
    domains.map((d) => [d.name, d.state, d.reason]),
    [
      ['a1', 'running', 'booted'],
      ['a2', 'shutoff', 'shutdown'],
    ],
  );
  const digests = await a.domainDigests();
  assert.equal(digests.uuids.length, 2);
  assert.equal(digests.domains.find((d) => d.name === 'a2')?.memoryMiB, 128);
  assert.equal(digests.domains.find((d) => d.name === 'a1')?.memoryMiB, undefined);
  assert.equal((await b.listDomains()).length, 0);
});

test('lifecycle calls change state and emit libvirt events afterwards', async () => {
  const hv = new FakeHypervisor({ shutdownDelayMs: 20 });
  await hv.connect();
  const uuid = '6f1c1b9e-0d0e-4c55-9d6a-5d3b1b7a0a01';
  const spec = {
    uuid,
    name: 'vm1',
    type: 'qemu' as const,
    vcpus: 2,
    memoryMiB: 256,
    boot: {
      firmware: 'bios' as const,
      order: ['hd' as const],
      kernel: { kernelPath: '/k', initrdPath: '/i', cmdline: '' },
    },
    disks: [{ path: '/s/x.qcow2', device: 'disk' as const, bus: 'virtio' as const, format: 'qcow2' as const }],
    nics: [],
    serialLogPath: '/s/x.log',
  };
  let events = nextEvents(hv, 1);
  assert.equal((await hv.defineDomain(spec)).state, 'shutoff');
  assert.deepEqual(
    (await events).map((e) => [e.event, e.detail]),
    [['defined', 'added']],
  );
  assert.deepEqual(await hv.domainDiskPaths(uuid), ['/s/x.qcow2']);

  events = nextEvents(hv, 1);
  await hv.startDomain(uuid);
  assert.equal((await hv.domain(uuid))?.state, 'running');
  assert.equal((await events)[0]?.event, 'started');
  await assert.rejects(hv.startDomain(uuid), (e) => VireoError.is(e, 'INVALID_STATE', 'vm'));

  events = nextEvents(hv, 2);
  await hv.shutdownDomain(uuid);
  assert.equal((await hv.domain(uuid))?.state, 'running', 'an ACPI shutdown takes a while');
  assert.deepEqual(
    (await events).map((e) => `${e.event}/${e.detail}`),
    ['shutdown/finished', 'stopped/shutdown'],
  );
  assert.equal((await hv.domain(uuid))?.reason, 'shutdown');

  await hv.startDomain(uuid);
  events = nextEvents(hv, 2);
  await hv.destroyDomain(uuid);
  assert.deepEqual((await hv.domain(uuid))?.reason, 'destroyed');
  await events;

  events = nextEvents(hv, 1);
  await hv.undefineDomain(uuid);
  assert.equal(await hv.domain(uuid), null);
  assert.equal((await events)[0]?.event, 'undefined');
  await assert.rejects(hv.startDomain(uuid), (e) => VireoError.is(e, 'NOT_FOUND', 'vm'));
});

test('a name another domain has is refused; a known uuid is an update', async () => {
  const hv = new FakeHypervisor({ domains: [{ name: 'taken' }] });
  await hv.connect();
  const spec = {
    uuid: '6f1c1b9e-0d0e-4c55-9d6a-5d3b1b7a0a02',
    name: 'taken',
    type: 'qemu' as const,
    vcpus: 1,
    memoryMiB: 128,
    boot: { firmware: 'bios' as const, order: ['hd' as const] },
    disks: [],
    nics: [],
    serialLogPath: '/s/x.log',
  };
  await assert.rejects(hv.defineDomain(spec), (e) => VireoError.is(e, 'CONFLICT', 'vm'));
});

test('bulk stats: plausible figures for running domains only', async () => {
  const hv = new FakeHypervisor({
    cpuCount: 4,
    domains: [{ name: 'r1' }, { name: 'r2' }, { name: 'off', state: 'shutoff' }],
  });
  await hv.connect();
  for (let i = 0; i < 50; i++) {
    const s = await hv.sampleStats();
    assert.equal(s.domains.length, 2);
    for (const d of s.domains) {
      assert.ok(d.cpuUsagePercent >= 0 && d.cpuUsagePercent <= 100, String(d.cpuUsagePercent));
      assert.ok((d.memoryUsedBytes ?? 0) > 0 && (d.memoryUsedBytes ?? 0) <= 128 * 1024 * 1024);
    }
    assert.ok(s.host.cpuUsagePercent >= 0 && s.host.cpuUsagePercent <= 100);
  }
});

test('changes behind the back (virsh suspend/resume) emit events; calls fail when not connected', async () => {
  const hv = new FakeHypervisor({ domains: [{ name: 'r' }] });
  await assert.rejects(hv.listDomains(), (e) => VireoError.is(e, 'LIBVIRT_ERROR'));
  await hv.connect();
  const [uuid] = hv.uuids();
  assert.ok(uuid);
  const events = nextEvents(hv, 2);
  hv.suspend(uuid);
  assert.equal((await hv.domain(uuid))?.state, 'paused');
  hv.resume(uuid);
  assert.deepEqual(
    (await events).map((e) => e.event),
    ['suspended', 'resumed'],
  );
  assert.equal((await hv.domain(uuid))?.reason, 'unpaused');
});
