/**
 * The shared setup of the HA lab tests (tests/lab/ha-*.test.ts): short HA timeouts on the lab's
 * cluster, two running HA VMs, and what the tests watch in libvirt itself (where each VM runs,
 * its QEMU processes and its disk's lock holders, sampled all along), never only Vireo's records.
 */
import assert from 'node:assert/strict';
import { after, before } from 'node:test';
import { stackCtl } from './agents.ts';
import { type Api, admin, createTestVm, removeVms, waitTask } from './api.ts';
import {
  clusterOfHost,
  closeHaDb,
  hostHa,
  labHost,
  lockHostCounts,
  lockKey,
  qemuCounts,
  setClusterHa,
  setVmHa,
  undefineStale,
} from './ha.ts';
import { domState, lab, labHostsAllOnline, virsh, waitFor } from './lab.ts';

/** The state a test file shares: its API client, its two HA VMs, the lab hosts' ids, faults to undo. */
export const ctx = {
  api: undefined as unknown as Api,
  vms: [] as { id: string; uuid: string; name: string; disk: string }[],
  hostIds: new Map<string, string>(),
  /** Faults still applied when a test fails: undone in `after`, so other tests find 3 hosts. */
  undo: [] as (() => Promise<unknown>)[],
};
const { vms, hostIds, undo } = ctx;
let api: Api;

/** Short timeouts, so a lab run sees every state in a few seconds. */
export const HA = { hostDownAfterS: 4, heartbeatStaleAfterS: 4, heartbeatIntervalS: 1, selfFenceAfterS: 6 };

/** Registers the file's before/after: two running HA VMs, everything undone and removed at the end. */
export function useHaFixture(): void {
  before(setUp);
  after(tearDown);
}

async function setUp() {
  ({ api } = await admin());
  ctx.api = api;
  ({ api } = await admin());
  const hosts = await api.host.list.query();
  for (const h of hosts) hostIds.set(h.name, h.id);
  const labHostId = hosts.find((h) => lab().hosts.some((l) => l.name === h.name))?.id;
  assert.ok(labHostId, 'the lab hosts are known');
  const clusterId = await clusterOfHost(labHostId);
  // The cluster's own settings come back at the end: later test files see the defaults.
  const saved = await api.haSettings.cluster.query({ clusterId });
  undo.push(() =>
    setClusterHa(api, clusterId, {
      hostDownAfterS: saved.hostDownAfterS,
      heartbeatStaleAfterS: saved.heartbeatStaleAfterS,
      heartbeatIntervalS: saved.heartbeatIntervalS,
      selfFenceAfterS: saved.selfFenceAfterS,
    }),
  );
  await setClusterHa(api, clusterId, HA);
  for (const prefix of ['ha-a', 'ha-b']) {
    const { vmId, vm } = await createTestVm(api, prefix);
    const host = lab().hosts.find((h) => h.name === vm.hostName);
    assert.ok(host);
    const disk = (await virsh(host, 'domblklist', vm.uuid, '--details')).stdout
      .split('\n')
      .map((l) => l.trim().split(/\s+/))
      .find((f) => f[1] === 'disk')?.[3];
    assert.ok(disk, `VM ${vm.name} has a disk`);
    vms.push({ id: vmId, uuid: vm.uuid, name: vm.name, disk });
    await setVmHa(api, { vmId, enabled: true, priority: 10 });
  }
}

async function tearDown() {
  for (const u of undo.reverse()) await u().catch(() => {});
  await stackCtl({}, 'start-agents').catch(() => {});
  await waitFor('every host online', async () => labHostsAllOnline(await api.host.list.query()), 120_000, 500).catch(
    () => {},
  );
  for (const v of vms) await setVmHa(api, { vmId: v.id, enabled: false }).catch(() => {});
  await tidyDefinitions().catch(() => {});
  await removeVms(
    api,
    vms.map((v) => v.id),
  );
  await closeHaDb();
}

/** Hosts whose libvirt lists the domain running. */
export async function runningOn(uuid: string): Promise<string[]> {
  const out: string[] = [];
  for (const h of lab().hosts) {
    const r = await virsh(h, 'domstate', uuid);
    if (r.code === 0 && r.stdout.trim() === 'running') out.push(h.name);
  }
  return out;
}

/**
 * Samples every VM's QEMU processes and its disk's lock holders until stopped: the most seen at
 * one instant, per VM (both must never exceed 1).
 */
/** Per VM uuid, how many lab hosts' libvirt list it running (one `virsh list` per host). */
async function runningHostCounts(uuids: readonly string[]): Promise<Map<string, number>> {
  const lists = await Promise.all(lab().hosts.map((h) => virsh(h, 'list', '--state-running', '--uuid')));
  return new Map(uuids.map((u) => [u, lists.filter((r) => r.stdout.includes(u)).length]));
}

/**
 * Samples, until stopped, per VM: the lab hosts whose libvirt runs it, its QEMU processes, and
 * the hosts holding its disk's locks; the most seen at one instant.
 */
export function watchDoubleRuns(): {
  stop: () => Promise<{ runningHosts: number; qemu: number; lockHosts: number; samples: number }>;
} {
  let running = true;
  const max = { runningHosts: 0, qemu: 0, lockHosts: 0, samples: 0 };
  const loop = (async () => {
    const keys = await Promise.all(vms.map((v) => lockKey(v.disk)));
    while (running) {
      const uuids = vms.map((v) => v.uuid);
      const [qemu, locks, hosts] = await Promise.all([
        qemuCounts(uuids),
        lockHostCounts(keys),
        runningHostCounts(uuids),
      ]);
      max.runningHosts = Math.max(max.runningHosts, ...hosts.values());
      max.qemu = Math.max(max.qemu, ...qemu.values());
      if (Math.max(...qemu.values()) > 1) console.log(`# two QEMUs for one VM at ${new Date().toISOString()}`);
      max.lockHosts = Math.max(max.lockHosts, ...locks.values());
      max.samples++;
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
      return max;
    },
  };
}

/** Removes what HA restarts leave behind: each VM's shut-off definitions on hosts other than its own. */
async function tidyDefinitions(): Promise<void> {
  for (const v of vms) {
    const on = await runningOn(v.uuid);
    const recorded = (await api.vm.byId.query({ vmId: v.id }).catch(() => null))?.hostName ?? null;
    await undefineStale(v.uuid, on[0] ?? recorded);
  }
}

/** Waits until every fixture VM runs on exactly one host, not `victim`; returns each one's hosts. */
export async function waitRunningElsewhere(victim: string, timeoutMs: number): Promise<string[][]> {
  return waitFor(
    `every HA VM running once, on a host other than ${victim}`,
    async () => {
      const on = await Promise.all(vms.map((v) => runningOn(v.uuid)));
      return on.every((r) => r.length === 1 && r[0] !== victim) && on;
    },
    timeoutMs,
    250,
  );
}

/** Waits until Vireo has removed the shut-off definition a host kept of a VM restarted elsewhere. */
export async function waitStaleDefinitionGone(hostName: string, v: { name: string; uuid: string }): Promise<void> {
  await waitFor(
    `the stale definition of ${v.name} on ${hostName} removed`,
    async () => (await domState(labHost(hostName), v.uuid)) === null,
    60_000,
    500,
  );
}

/** Both VMs running on one host (the victim), migrating them there if needed; returns its name. */
export async function bothOnOneHost(): Promise<string> {
  // Whatever an earlier test left (a failure midway): every agent running, every host ok.
  await stackCtl({}, 'start-agents');
  await waitFor('every host online', async () => labHostsAllOnline(await api.host.list.query()), 180_000, 500);
  for (const h of lab().hosts) await waitHaState(h.name, ['ok'], 60_000);
  await tidyDefinitions();
  const first = vms[0];
  assert.ok(first);
  await waitFor('the first VM running somewhere', async () => (await runningOn(first.uuid)).length === 1, 120_000, 500);
  const victim = (await runningOn(first.uuid))[0];
  assert.ok(victim);
  for (const v of vms) {
    const on = await waitFor('the VM running on one host', async () => {
      const r = await runningOn(v.uuid);
      return r.length === 1 && r;
    });
    if (on[0] === victim) continue;
    const targetHostId = hostIds.get(victim);
    assert.ok(targetHostId);
    const { taskId } = await api.vm.migrate.mutate({ vmId: v.id, targetHostId });
    const task = await waitTask(api, taskId, 120_000);
    assert.equal(task.state, 'succeeded', `moving ${v.name} to ${victim}: ${task.errorMessage}`);
  }
  // A live migration's source QEMU may still be exiting when its task ends: not HA's to judge.
  await waitFor(
    'one QEMU per VM',
    async () => [...(await qemuCounts(vms.map((v) => v.uuid))).values()].every((n) => n === 1),
    30_000,
    200,
  );
  return victim;
}

export async function haRestartTasks(): Promise<number> {
  let n = 0;
  for (const v of vms)
    n += (await api.task.listForVm.query({ vmId: v.id })).filter((t) => t.kind === 'ha.restart').length;
  return n;
}

export async function waitHaState(hostName: string, states: string[], timeoutMs: number) {
  const id = hostIds.get(hostName);
  assert.ok(id);
  return waitFor(
    `host ${hostName} HA state ${states.join('|')}`,
    async () => {
      const s = await hostHa(api, id);
      return states.includes(s.state) && s;
    },
    timeoutMs,
    250,
  );
}

export async function waitOnline(hostName: string): Promise<void> {
  await waitFor(
    `host ${hostName} online`,
    async () => (await api.host.list.query()).find((h) => h.name === hostName)?.status === 'online',
    180_000,
    500,
  );
}
