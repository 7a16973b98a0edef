import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { DomainDigest } from '@vireo/hypervisor';
import type { DomainInfo } from '@vireo/protocol';
import { ReportedDomains, difference, watchLibvirt } from '../src/libvirt-watch.ts';
import { createLogger } from '../src/logger.ts';

const U1 = '8b3c0c1e-0000-4000-8000-000000000001';
const U2 = '8b3c0c1e-0000-4000-8000-000000000002';
const vm1: DomainInfo = {
  uuid: U1,
  name: 'a',
  state: 'running',
  vcpus: 1,
  memoryMiB: 128,
  maxMemoryMiB: 128,
  persistent: true,
};
const vm2: DomainInfo = {
  uuid: U2,
  name: 'b',
  state: 'shutoff',
  vcpus: 1,
  memoryMiB: 128,
  maxMemoryMiB: 128,
  persistent: true,
};
const digest = (d: DomainInfo, extra: Partial<DomainDigest> = {}): DomainDigest => ({
  name: d.name,
  state: d.state,
  ...extra,
});

test('difference: nothing when libvirt agrees, the first difference otherwise', () => {
  const uuids = [U1, U2];
  const same = [digest(vm1), digest(vm2, { memoryMiB: 128, maxMemoryMiB: 128, vcpus: 1 })];
  assert.equal(difference([vm1, vm2], { uuids, domains: same }), null);
  assert.match(difference([vm1], { uuids, domains: same }) ?? '', /never reported/);
  assert.match(difference([vm1, vm2], { uuids: [U1], domains: [digest(vm1)] }) ?? '', /b is gone/);
  assert.match(
    difference([vm1, vm2], { uuids, domains: [{ ...digest(vm1), state: 'shutoff' }, same[1]!] }) ?? '',
    /a is shutoff, reported running/,
  );
  assert.match(difference([vm1, vm2], { uuids, domains: [same[0]!, { ...same[1]!, memoryMiB: 96 }] }) ?? '', /96 MiB/);
  assert.match(difference([vm1, vm2], { uuids, domains: [same[0]!, { ...same[1]!, vcpus: 2 }] }) ?? '', /2 vCPUs/);
  assert.match(
    difference([vm1, vm2], { uuids, domains: [same[0]!, { ...same[1]!, maxMemoryMiB: 512 }] }) ?? '',
    /512 MiB at most/,
  );
  assert.match(
    difference([vm1, vm2], { uuids, domains: [same[0]!, { ...same[1]!, name: 'c' }] }) ?? '',
    /c was reported/,
  );
});

test('difference: domains an operation is working on are left out', () => {
  const starting = { uuids: [U1], domains: [{ ...digest(vm1), state: 'paused' as const }] };
  assert.match(difference([vm1], starting) ?? '', /paused/);
  assert.equal(difference([vm1], starting, new Set([U1])), null);
  const creating = { uuids: [U1, U2], domains: [digest(vm1), digest(vm2)] };
  assert.equal(difference([vm1], creating, new Set([U2, 'b'])), null);
});

test('watch: a lasting difference resyncs once; one that a pending event explains does not', async () => {
  const reported = new ReportedDomains();
  reported.replaceAll([vm1]);
  let libvirt: DomainDigest[] = [digest(vm1)];
  const resyncs: string[] = [];
  const stop = watchLibvirt({
    hv: { domainDigests: async () => ({ uuids: [U1], domains: libvirt }) },
    reported,
    intervalMs: 20,
    confirmMs: 10,
    ready: () => true,
    resync: async (why) => {
      resyncs.push(why);
      reported.replaceAll([{ ...vm1, state: 'shutoff' }]);
    },
    logger: createLogger('error', 'plain'),
  });
  try {
    reported.pending = 1; // an event is being forwarded: libvirt is ahead of the report
    libvirt = [{ ...digest(vm1), state: 'shutoff' }];
    await new Promise((r) => setTimeout(r, 120));
    assert.deepEqual(resyncs, []);
    reported.pending = 0; // ... but it was never sent
    await new Promise((r) => setTimeout(r, 150));
    assert.deepEqual(resyncs, ['domain a is shutoff, reported running']);
  } finally {
    stop();
  }
});
