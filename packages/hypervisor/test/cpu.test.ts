/**
 * CPU compatibility on captured capabilities: the lab's TCG hosts all share one CPU, so hosts that
 * differ are stood in for by captures (issue 8): lab host h1 (AMD kvm64), the same with features
 * removed, and another machine's host (Intel Broadwell, capabilities-qemu-only.xml).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { cpuCompatible, type VmCpu } from '@vireo/protocol';
import { parseDomainCpu, parseHostCpu } from '../src/cpu.ts';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const domcaps = fixture('cpu-domcaps-lab.xml');
const lab = parseHostCpu(fixture('cpu-caps-lab.xml'), domcaps);
const fewer = parseHostCpu(fixture('cpu-caps-lab-fewer-features.xml'), domcaps);
const intel = parseHostCpu(fixture('capabilities-qemu-only.xml'));

const domain = (cpu: string) => `<domain type='qemu'><name>web-1</name>${cpu}<devices/></domain>`;
const passthrough = parseDomainCpu(domain("<cpu mode='host-passthrough' check='none'/>"));
const hostModel = parseDomainCpu(domain("<cpu mode='host-model'/>"));
const noCpu = parseDomainCpu(domain(''));

test('the host CPU from capabilities and domain capabilities', () => {
  assert.equal(lab.arch, 'x86_64');
  assert.equal(lab.vendor, 'AMD');
  assert.equal(lab.model, 'kvm64');
  assert.equal(lab.features.length, 62);
  assert.ok(lab.features.includes('avx512f'));
  assert.ok(lab.usableModels.includes('Westmere'));
  assert.ok(lab.usableModels.includes('qemu64'));
  assert.ok(!lab.usableModels.includes('phenom'), 'usable="no" models are not offered');
  assert.equal(intel.vendor, 'Intel');
  assert.equal(intel.model, 'Broadwell');
  assert.deepEqual(intel.usableModels, []);
});

test('the VM CPU from the domain XML', () => {
  assert.deepEqual(noCpu, { mode: 'default', features: [] });
  assert.deepEqual(passthrough, { mode: 'host-passthrough', features: [] });
  assert.deepEqual(hostModel, { mode: 'host-model', features: [] });
  const custom = parseDomainCpu(
    domain(
      "<cpu match='exact'><model fallback='forbid'>Westmere</model><feature policy='require' name='aes'/><feature policy='disable' name='x2apic'/><feature name='pcid'/></cpu>",
    ),
  );
  assert.deepEqual(custom, { mode: 'custom', model: 'Westmere', features: ['aes', 'pcid'] });
});

test('host-passthrough: same CPU passes, fewer features or another vendor is refused with a reason', () => {
  assert.equal(cpuCompatible(passthrough, lab, '', lab).ok, true);
  const fewerVerdict = cpuCompatible(passthrough, fewer, '', lab);
  assert.equal(fewerVerdict.ok, false);
  assert.match(fewerVerdict.reason, /lacks feature\(s\).*avx2, avx512f, avx512dq/);
  // The other way round the target has more: the guest keeps what it saw.
  assert.equal(cpuCompatible(passthrough, lab, '', fewer).ok, true);
  const other = cpuCompatible(passthrough, intel, '', lab);
  assert.equal(other.ok, false);
  assert.match(other.reason, /host-passthrough.*AMD kvm64.*Intel Broadwell/);
});

test('host-model needs the source model offered and its features', () => {
  assert.equal(cpuCompatible(hostModel, lab, '', lab).ok, true);
  assert.match(cpuCompatible(hostModel, fewer, '', lab).reason, /avx2/);
  assert.equal(cpuCompatible(hostModel, intel, '', lab).ok, false);
});

test('a named model must be usable on the target', () => {
  const westmere: VmCpu = { mode: 'custom', model: 'Westmere', features: [] };
  assert.equal(cpuCompatible(westmere, lab, '', intel).ok, true);
  assert.equal(cpuCompatible(westmere, fewer, '', lab).ok, true);
  const phenom = cpuCompatible({ mode: 'custom', model: 'phenom', features: [] }, lab, '', lab);
  assert.equal(phenom.ok, false);
  assert.match(phenom.reason, /phenom is not one its CPU \(AMD kvm64\) can offer/);
  const avx2 = cpuCompatible({ mode: 'custom', model: 'Westmere', features: ['avx2'] }, fewer, '', lab);
  assert.equal(avx2.ok, false);
  assert.match(avx2.reason, /requires: avx2/);
});

test('the cluster baseline and the default CPU', () => {
  assert.equal(cpuCompatible(noCpu, intel, '', lab).ok, true, 'the default model runs anywhere');
  assert.equal(cpuCompatible(noCpu, lab, 'Nehalem', lab).ok, true);
  const baseline = cpuCompatible(noCpu, lab, 'EPYC', lab);
  assert.equal(baseline.ok, false);
  assert.match(baseline.reason, /baseline CPU model EPYC/);
});

test('a host that did not report its CPU is not refused, and says so', () => {
  const v = cpuCompatible(passthrough, null, '', lab);
  assert.equal(v.ok, true);
  assert.match(v.reason, /not checked/);
  assert.match(cpuCompatible(passthrough, lab, '', null).reason, /not checked/);
});
