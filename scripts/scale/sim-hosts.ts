/**
 * Simulated hosts for scale runs: N real agents (apps/agent's startAgent, the real protocol over
 * a real WebSocket to a real manager) in this one process, each over its own FakeHypervisor with
 * its own host uuid, state dir and pre-existing domains. Driven by scripts/scale/run.ts over the
 * Node IPC channel (fork); see `Command` and `Report` for the messages.
 *
 * Changes are made "behind Vireo's back", as `virsh suspend/resume/start` would: the fake emits
 * libvirt's event, the agent reads the domain and forwards it, exactly as on a real host.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { FakeHypervisor } from '@vireo/hypervisor';
import { type RunningAgent, startAgent } from '../../apps/agent/src/agent.ts';
import type { AgentConfig } from '../../apps/agent/src/config.ts';
import { createLogger } from '../../apps/agent/src/logger.ts';
import { loadOrEnroll } from '../../apps/agent/src/manager-link.ts';

export interface SimConfig {
  managerUrl: string;
  /** One enrollment token per host. */
  tokens: string[];
  /** Host numbers start here (names sim-NNN), so several processes can share one manager. */
  firstIndex: number;
  vmsPerHost: number;
  /** Share of domains running at start (the rest shut off). */
  runningShare: number;
  stateRoot: string;
  statsIntervalMs: number;
  watchIntervalMs: number;
}

export interface SimDomain {
  uuid: string;
  name: string;
  state: 'running' | 'shutoff';
  vcpus: number;
  memoryMiB: number;
}
export interface SimHost {
  index: number;
  hostId: string;
  hostname: string;
  domains: SimDomain[];
}

export type Command =
  | { t: 'start'; staggerMs: number }
  | { t: 'change'; uuid: string }
  /** Every domain changes state once, in random order, spread evenly over durationMs. */
  | { t: 'storm'; durationMs: number }
  | { t: 'usage' }
  | { t: 'stop' };

export type Report =
  | { t: 'enrolled'; hosts: SimHost[] }
  | { t: 'started'; ms: number }
  | { t: 'changed'; uuid: string; at: number; state: string }
  | { t: 'stormDone'; changes: [uuid: string, at: number, state: string][] }
  | { t: 'usage'; rssBytes: number; heapUsedBytes: number; cpuUserUs: number; cpuSystemUs: number; connected: number }
  | { t: 'error'; message: string };

const send = (r: Report) => process.send?.(r);
const pad = (n: number) => String(n).padStart(3, '0');

const config = JSON.parse(process.env.SCALE_SIM_CONFIG ?? '{}') as SimConfig;
// Agents log warnings and errors only: a hundred of them at `info` would measure the logger.
const logger = createLogger('warn', 'plain');

const hvs: FakeHypervisor[] = [];
const agentConfigs: AgentConfig[] = [];
const running: RunningAgent[] = [];
const byUuid = new Map<string, FakeHypervisor>();

async function enrollAll(): Promise<SimHost[]> {
  const hosts: SimHost[] = [];
  for (const [i, token] of config.tokens.entries()) {
    const index = config.firstIndex + i;
    const hostname = `sim-${pad(index)}`;
    const domains: SimDomain[] = [];
    for (let j = 0; j < config.vmsPerHost; j++) {
      domains.push({
        uuid: crypto.randomUUID(),
        name: `${hostname}-vm${pad(j)}`,
        state: j < Math.round(config.vmsPerHost * config.runningShare) ? 'running' : 'shutoff',
        vcpus: 1 + (j % 2),
        memoryMiB: 128 * (1 + (j % 4)),
      });
    }
    const stateDir = join(config.stateRoot, hostname);
    const vmStorageDir = join(stateDir, 'vms');
    await rm(stateDir, { recursive: true, force: true });
    await mkdir(vmStorageDir, { recursive: true });
    const hv = new FakeHypervisor({ hostname, storageDirs: [vmStorageDir], domains });
    for (const d of domains) byUuid.set(d.uuid, hv);
    // The agent's own enrollment (POST /api/agent/enroll), done ahead of starting it so the
    // harness can record the VMs with their host before the host's first full state arrives.
    const cred = await loadOrEnroll({
      stateDir,
      managerUrl: config.managerUrl,
      enrollmentToken: token,
      identity: async () => ({ hostUuid: hv.hostUuid, hostname }),
      logger,
    });
    hvs.push(hv);
    agentConfigs.push({
      managerUrl: config.managerUrl,
      stateDir,
      vmStorageDir,
      statsIntervalMs: config.statsIntervalMs,
      libvirtWatchIntervalMs: config.watchIntervalMs,
      journalSettleIntervalMs: 60_000,
      libvirtDriver: 'QEMU',
      logLevel: 'warn',
      logFormat: 'plain',
    });
    hosts.push({ index, hostId: cred.hostId, hostname, domains });
  }
  return hosts;
}

async function startAll(staggerMs: number): Promise<void> {
  const t0 = Date.now();
  for (const [i, hv] of hvs.entries()) {
    const cfg = agentConfigs[i];
    if (!cfg) continue;
    running.push(await startAgent(cfg, hv, logger));
    if (staggerMs > 0) await new Promise((r) => setTimeout(r, staggerMs));
  }
  send({ t: 'started', ms: Date.now() - t0 });
}

/** Suspends a running domain, resumes a paused one, starts a shut-off one; returns the new state. */
async function change(uuid: string): Promise<{ at: number; state: string }> {
  const hv = byUuid.get(uuid);
  if (!hv) throw new Error(`no simulated domain ${uuid}`);
  const d = await hv.domain(uuid);
  const at = Date.now();
  if (d?.state === 'running') hv.suspend(uuid);
  else if (d?.state === 'paused') hv.resume(uuid);
  else await hv.startDomain(uuid);
  return { at, state: (await hv.domain(uuid))?.state ?? 'unknown' };
}

async function storm(durationMs: number): Promise<void> {
  const uuids = [...byUuid.keys()];
  for (let i = uuids.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [uuids[i], uuids[j]] = [uuids[j] as string, uuids[i] as string];
  }
  const changes: [string, number, string][] = [];
  const t0 = Date.now();
  // Changes go out on schedule in small bursts every 10 ms (a timer per change would be the
  // bottleneck), catching up if a burst ran late.
  let next = 0;
  while (next < uuids.length) {
    const due = Math.min(uuids.length, Math.floor(((Date.now() - t0) / durationMs) * uuids.length) + 1);
    for (; next < due; next++) {
      const uuid = uuids[next] as string;
      const { at, state } = await change(uuid);
      changes.push([uuid, at, state]);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  send({ t: 'stormDone', changes });
}

process.on('message', (cmd: Command) => {
  const run = async () => {
    switch (cmd.t) {
      case 'start':
        return startAll(cmd.staggerMs);
      case 'change':
        return send({ t: 'changed', uuid: cmd.uuid, ...(await change(cmd.uuid)) });
      case 'storm':
        return storm(cmd.durationMs);
      case 'usage': {
        const mem = process.memoryUsage();
        const cpu = process.cpuUsage();
        return send({
          t: 'usage',
          rssBytes: mem.rss,
          heapUsedBytes: mem.heapUsed,
          cpuUserUs: cpu.user,
          cpuSystemUs: cpu.system,
          connected: running.filter((a) => a.connected).length,
        });
      }
      case 'stop':
        await Promise.all(running.map((a) => a.stop()));
        process.exit(0);
    }
  };
  run().catch((err) => send({ t: 'error', message: err instanceof Error ? err.message : String(err) }));
});

enrollAll().then(
  (hosts) => send({ t: 'enrolled', hosts }),
  (err) => {
    send({ t: 'error', message: `enrollment failed: ${err instanceof Error ? err.message : String(err)}` });
    process.exit(1);
  },
);
