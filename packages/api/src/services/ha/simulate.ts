/**
 * The HA simulator (issue 9): the real decision step (decide.ts) run against a simulated cluster
 * and clock, in process, deterministic, no database, as Proxmox's ha-simulator does. Scenario
 * files (packages/api/test/ha-scenarios/*.json) say which hosts and VMs there are and what goes
 * wrong when; the result is a timeline of what happened, and the safety invariants checked on
 * every tick.
 *
 * What is simulated, in the terms of the real system:
 * - hosts: power, the agent (its manager connection and its storage heartbeat), a fence device
 *   that works, fails or is absent, and self-fencing (an agent whose heartbeat writes fail for
 *   selfFenceAfter forces off its HA VMs);
 * - QEMU processes: the truth of where a VM runs; a running QEMU holds its disks' lock, so a start
 *   elsewhere is refused (libvirt's lock manager);
 * - the database: host HA state and signals as the monitor writes them, VM records;
 * - the executor: host-state writes at once, a fence run and a VM start that take time (so a
 *   manager restart can cut them short: the in-flight work is dropped and the next "manager" goes
 *   on from the snapshot alone).
 */
import { z } from 'zod';
import { haStep } from './decide.ts';
import type { HaAction, HaHostState, HaSnapshot } from './types.ts';
import { HA_RESTARTING_REASON } from './types.ts';

const hostSchema = z.object({
  name: z.string(),
  memoryMiB: z.number().int().positive().default(8192),
  fence: z.enum(['ok', 'fail', 'none']).default('ok'),
  maintenance: z.boolean().default(false),
});

const vmSchema = z.object({
  name: z.string(),
  host: z.string(),
  memoryMiB: z.number().int().positive().default(1024),
  ha: z.boolean().default(true),
  priority: z.number().int().default(0),
  dependsOn: z.string().nullable().default(null),
  state: z.enum(['running', 'shutoff']).default('running'),
});

/**
 * kill: the host powers off (agent, heartbeat, QEMUs). kill-agent: only the agent dies (no
 * heartbeat, no self-fencing) while its QEMUs keep running and holding their locks.
 * partition-manager / partition-storage / partition: its agent cannot reach the manager / the
 * shared storage / both. heal: every partition ends. power-off: the host's QEMUs stop (someone
 * switched it off by hand). manager-restart: the manager stops for downS seconds; what it was
 * doing is lost.
 */
const eventSchema = z.object({
  atS: z.number().nonnegative(),
  do: z.enum([
    'kill',
    'kill-agent',
    'partition-manager',
    'partition-storage',
    'partition',
    'heal',
    'power-off',
    'manager-restart',
  ]),
  host: z.string().optional(),
  downS: z.number().positive().default(5),
});

export const scenarioSchema = z.object({
  name: z.string(),
  description: z.string().default(''),
  durationS: z.number().positive(),
  tickMs: z.number().int().positive().default(1000),
  /** Cluster HA settings, in seconds as on the Cluster row. */
  config: z
    .object({
      hostDownAfterS: z.number().positive().default(10),
      heartbeatStaleAfterS: z.number().positive().default(10),
      heartbeatIntervalS: z.number().positive().default(2),
      selfFenceAfterS: z.number().positive().default(10),
    })
    .default({ hostDownAfterS: 10, heartbeatStaleAfterS: 10, heartbeatIntervalS: 2, selfFenceAfterS: 10 }),
  /** How long a fence run and a VM start take. */
  fenceS: z.number().nonnegative().default(3),
  startS: z.number().nonnegative().default(2),
  hosts: z.array(hostSchema).min(1),
  vms: z.array(vmSchema).default([]),
  events: z.array(eventSchema).default([]),
});
export type Scenario = z.infer<typeof scenarioSchema>;

type SimHost = {
  name: string;
  memoryMiB: number;
  fence: 'ok' | 'fail' | 'none';
  maintenance: boolean;
  power: boolean;
  agent: boolean;
  linked: boolean;
  storage: boolean;
  ownFailSinceMs: number | null;
  selfFenced: boolean;
  // What the database holds about it.
  haState: HaHostState;
  haStateAtMs: number | null;
  haNote: string | null;
  lastSeenAtMs: number | null;
  heartbeatSeenAtMs: number | null;
  heartbeatOwnOkAtMs: number | null;
};

type SimVm = {
  name: string;
  memoryMiB: number;
  ha: boolean;
  priority: number;
  dependsOn: string | null;
  // The VM record.
  hostId: string | null;
  state: string;
  stateReason: string | null;
  stateChangedAtMs: number;
  /** Starts refused in a row (the lock manager), for the timeline. */
  refused: number;
};

type InFlight =
  | { kind: 'fence'; host: string; dueMs: number }
  | { kind: 'start'; vm: string; from: string; to: string; dueMs: number };

export type SimResult = {
  timeline: string[];
  /** Safety invariants broken (a VM on two hosts at once, a non-HA VM restarted, ...): [] is good. */
  violations: string[];
  /** Where each VM ends: "web: running on h2". */
  final: string[];
};

function fmt(ms: number): string {
  return `${(ms / 1000).toFixed(1).padStart(6)}s`;
}

export class Simulation {
  readonly hosts = new Map<string, SimHost>();
  readonly vms = new Map<string, SimVm>();
  /** Running QEMUs: VM name → hosts it runs on (more than one is a double run). */
  readonly qemu = new Map<string, Set<string>>();
  private inFlight: InFlight[] = [];
  private managerDownUntilMs = 0;
  private managerWasDown = false;
  private readonly printed = new Set<string>();
  readonly timeline: string[] = [];
  readonly violations: string[] = [];
  nowMs = 0;

  constructor(readonly scenario: Scenario) {
    for (const h of scenario.hosts) {
      this.hosts.set(h.name, {
        ...h,
        power: true,
        agent: true,
        linked: true,
        storage: true,
        ownFailSinceMs: null,
        selfFenced: false,
        haState: 'ok',
        haStateAtMs: null,
        haNote: null,
        lastSeenAtMs: 0,
        heartbeatSeenAtMs: 0,
        heartbeatOwnOkAtMs: 0,
      });
    }
    for (const v of scenario.vms) {
      if (!this.hosts.has(v.host)) throw new Error(`VM ${v.name}: no host ${v.host}`);
      this.vms.set(v.name, {
        name: v.name,
        memoryMiB: v.memoryMiB,
        ha: v.ha,
        priority: v.priority,
        dependsOn: v.dependsOn,
        hostId: v.host,
        state: v.state,
        stateReason: null,
        stateChangedAtMs: 0,
        refused: 0,
      });
      if (v.state === 'running') this.qemu.set(v.name, new Set([v.host]));
    }
  }

  private log(text: string, onceKey?: string): void {
    if (onceKey !== undefined) {
      if (this.printed.has(onceKey)) return;
      this.printed.add(onceKey);
    }
    this.timeline.push(`${fmt(this.nowMs)}  ${text}`);
  }

  private runsOn(vm: string): Set<string> {
    let set = this.qemu.get(vm);
    if (!set) {
      set = new Set();
      this.qemu.set(vm, set);
    }
    return set;
  }

  private stopQemusOn(host: string, only?: (vm: SimVm) => boolean): string[] {
    const stopped: string[] = [];
    for (const [name, where] of this.qemu) {
      const vm = this.vms.get(name);
      if (where.has(host) && vm && (!only || only(vm))) {
        where.delete(host);
        stopped.push(name);
      }
    }
    return stopped.sort();
  }

  private connected(h: SimHost): boolean {
    return h.power && h.agent && h.linked && this.nowMs >= this.managerDownUntilMs;
  }

  private applyEvent(e: Scenario['events'][number]): void {
    if (e.do === 'manager-restart') {
      this.managerDownUntilMs = this.nowMs + e.downS * 1000;
      this.managerWasDown = true;
      const lost = this.inFlight.length;
      this.inFlight = [];
      this.log(`manager stops for ${e.downS} s${lost ? `; ${lost} operation(s) in flight are lost` : ''}`);
      return;
    }
    const h = e.host ? this.hosts.get(e.host) : undefined;
    if (!h) throw new Error(`event ${e.do} at ${e.atS} s: no such host ${e.host}`);
    switch (e.do) {
      case 'kill': {
        h.power = false;
        h.agent = false;
        const stopped = this.stopQemusOn(h.name);
        this.log(`${h.name} dies (power lost)${stopped.length ? `: ${stopped.join(', ')} stop` : ''}`);
        break;
      }
      case 'kill-agent':
        h.agent = false;
        this.log(`${h.name}: its agent dies; its VMs keep running and holding their disks`);
        break;
      case 'partition-manager':
        h.linked = false;
        this.log(`${h.name} is cut off from the manager (storage still reachable)`);
        break;
      case 'partition-storage':
        h.storage = false;
        this.log(`${h.name} is cut off from the shared storage`);
        break;
      case 'partition':
        h.linked = false;
        h.storage = false;
        this.log(`${h.name} is cut off from the manager and the shared storage`);
        break;
      case 'heal':
        h.linked = true;
        h.storage = true;
        h.ownFailSinceMs = null;
        h.selfFenced = false;
        this.log(`${h.name}: partitions end`);
        break;
      case 'power-off': {
        const stopped = this.stopQemusOn(h.name);
        this.log(`${h.name}'s VMs are switched off by hand${stopped.length ? `: ${stopped.join(', ')}` : ''}`);
        break;
      }
    }
  }

  /** The agents: heartbeats, self-fencing, connection; what the manager learns from them. */
  private agents(): void {
    const managerUp = this.nowMs >= this.managerDownUntilMs;
    const readers = [...this.hosts.values()].filter((h) => h.power && h.agent && h.storage && h.linked);
    for (const h of this.hosts.values()) {
      if (!h.power || !h.agent) continue;
      if (h.storage) {
        h.ownFailSinceMs = null;
        if (managerUp && h.linked) h.heartbeatOwnOkAtMs = this.nowMs;
        // A peer that reads the storage and reaches the manager reports the change.
        if (managerUp && readers.some((p) => p !== h)) h.heartbeatSeenAtMs = this.nowMs;
      } else {
        h.ownFailSinceMs ??= this.nowMs;
        const failedMs = this.nowMs - h.ownFailSinceMs;
        if (!h.selfFenced && failedMs >= this.scenario.config.selfFenceAfterS * 1000) {
          h.selfFenced = true;
          const stopped = this.stopQemusOn(h.name, (vm) => vm.ha);
          this.log(
            `${h.name} self-fences: its heartbeat writes failed for ${Math.round(failedMs / 1000)} s${
              stopped.length ? `: forces off ${stopped.join(', ')}` : ''
            }`,
          );
        }
      }
      if (this.connected(h)) {
        h.lastSeenAtMs = this.nowMs;
        // Its full state: the VM records on it follow what runs there.
        for (const vm of this.vms.values()) {
          if (vm.hostId !== h.name || vm.stateReason === HA_RESTARTING_REASON) continue;
          const runs = this.runsOn(vm.name).has(h.name);
          if (runs && vm.state !== 'running') vm.state = 'running';
          if (!runs && vm.state === 'running') {
            vm.state = 'shutoff';
            vm.stateReason = h.selfFenced ? 'self-fenced' : null;
          }
        }
      }
    }
  }

  snapshot(): HaSnapshot {
    const c = this.scenario.config;
    const hosts = [...this.hosts.values()];
    const reading = hosts.filter(
      (h) =>
        this.connected(h) &&
        h.heartbeatOwnOkAtMs !== null &&
        this.nowMs - h.heartbeatOwnOkAtMs <= 2 * c.heartbeatIntervalS * 1000,
    );
    const vms = [...this.vms.values()];
    return {
      nowMs: this.nowMs,
      clusterId: 'sim',
      config: {
        hostDownAfterMs: c.hostDownAfterS * 1000,
        heartbeatStaleAfterMs: c.heartbeatStaleAfterS * 1000,
        heartbeatIntervalMs: c.heartbeatIntervalS * 1000,
        selfFenceAfterMs: c.selfFenceAfterS * 1000,
        reserveHostFailures: 0,
        admission: 'warn',
      },
      hosts: hosts.map((h) => ({
        id: h.name,
        name: h.name,
        clusterId: 'sim',
        connected: this.connected(h),
        lastSeenAtMs: h.lastSeenAtMs,
        heartbeatSeenAtMs: h.heartbeatSeenAtMs,
        peersReporting: reading.filter((p) => p !== h).length,
        fenceConfigured: h.fence !== 'none',
        maintenance: h.maintenance,
        haState: h.haState,
        haStateAtMs: h.haStateAtMs,
        haNote: h.haNote,
      })),
      vms: vms.map((v) => ({
        id: v.name,
        name: v.name,
        hostId: v.hostId,
        state: v.state,
        stateReason: v.stateReason,
        memoryMiB: v.memoryMiB,
        haEnabled: v.ha,
        haPriority: v.priority,
        haDependsOnId: v.dependsOn,
        groupIds: [],
        domainOnHost: v.hostId !== null && this.runsOn(v.name).has(v.hostId),
        stateChangedAtMs: v.stateChangedAtMs,
      })),
      placement: {
        reserveMiB: 0,
        groups: [],
        hosts: hosts.map((h) => ({
          id: h.name,
          name: h.name,
          clusterId: 'sim',
          clusterName: 'sim',
          status: this.connected(h) ? 'online' : 'offline',
          maintenance: h.maintenance,
          domainTypes: ['kvm'],
          memoryMiB: h.memoryMiB,
          cpuUsagePercent: 0,
          allocations: vms
            .filter((v) => v.hostId === h.name)
            .map((v) => ({ vmId: v.name, vmName: v.name, memoryMiB: v.memoryMiB })),
        })),
      },
    };
  }

  private setHostState(h: SimHost, state: HaHostState, note: string): void {
    if (h.haState !== state) h.haStateAtMs = this.nowMs;
    h.haState = state;
    h.haNote = note;
    this.log(`${h.name}: ${state} (${note})`);
  }

  /** The executor: carries out one step's actions, as the monitor's executor would. */
  private execute(actions: HaAction[]): void {
    for (const a of actions) {
      switch (a.kind) {
        case 'host-state': {
          const h = this.hosts.get(a.hostId);
          if (h) this.setHostState(h, a.state, a.note);
          break;
        }
        case 'fence': {
          const h = this.hosts.get(a.hostId);
          if (!h) break;
          this.setHostState(h, 'fencing', 'fence device running');
          this.inFlight.push({ kind: 'fence', host: h.name, dueMs: this.nowMs + this.scenario.fenceS * 1000 });
          break;
        }
        case 'restart': {
          const vm = this.vms.get(a.vmId);
          if (!vm) break;
          if (!vm.ha) this.violations.push(`${fmt(this.nowMs)} non-HA VM ${vm.name} restarted`);
          const holders = [...this.runsOn(vm.name)].filter((host) => {
            const h = this.hosts.get(host);
            return h?.power && h.agent && h.storage;
          });
          if (holders.length > 0 && !holders.includes(a.toHostId))
            this.violations.push(
              `${fmt(this.nowMs)} ${vm.name} restarted while it runs on ${holders.join(', ')}, whose heartbeat is alive`,
            );
          // Compare-and-set on the record: another manager may have moved it already.
          if (vm.hostId !== a.fromHostId) break;
          vm.hostId = a.toHostId;
          vm.state = 'unknown';
          vm.stateReason = HA_RESTARTING_REASON;
          vm.stateChangedAtMs = this.nowMs;
          // A retry after a refused start is not logged again: the refusal said it is retried.
          if (vm.refused === 0) this.log(`restart ${vm.name}: ${a.fromHostId} -> ${a.toHostId} (${a.why})`);
          this.inFlight.push({
            kind: 'start',
            vm: vm.name,
            from: a.fromHostId,
            to: a.toHostId,
            dueMs: this.nowMs + this.scenario.startS * 1000,
          });
          break;
        }
        case 'not-restarted':
          this.log(`${a.vmId} not restarted: ${a.reason}`, `not ${a.vmId} ${a.reason}`);
          break;
        case 'alert':
          this.log(`ALERT ${a.message}`, `alert ${a.hostId} ${a.message}`);
          break;
      }
    }
  }

  /** Fence runs and VM starts that are due. */
  private finishInFlight(): void {
    const due = this.inFlight.filter((f) => f.dueMs <= this.nowMs);
    this.inFlight = this.inFlight.filter((f) => f.dueMs > this.nowMs);
    for (const f of due) {
      if (f.kind === 'fence') {
        const h = this.hosts.get(f.host);
        if (!h) continue;
        if (h.fence === 'ok') {
          h.power = false;
          h.agent = false;
          const stopped = this.stopQemusOn(h.name);
          this.setHostState(
            h,
            'fenced',
            `powered off by its fence device${stopped.length ? `; ${stopped.join(', ')} stopped` : ''}`,
          );
        } else this.setHostState(h, 'fence-failed', 'the fence device failed');
        continue;
      }
      const vm = this.vms.get(f.vm);
      const target = this.hosts.get(f.to);
      if (!vm || !target) continue;
      const where = this.runsOn(vm.name);
      const holders = [...where].filter((host) => host !== f.to);
      vm.stateChangedAtMs = this.nowMs;
      if (!target.power || !target.agent) {
        vm.hostId = f.from;
        vm.stateReason = null;
        this.log(`${vm.name} not restarted: start on ${f.to} failed: the host is down`);
      } else if (holders.length > 0) {
        // libvirt's lock manager: the disks are held by the QEMU still running there. The record
        // goes back, and the next steps try again.
        vm.hostId = f.from;
        vm.stateReason = null;
        if (vm.refused++ === 0)
          this.log(
            `${vm.name} not restarted: start on ${f.to} refused by the lock manager, its disks are held on ${holders.join(', ')} (tried again every step)`,
          );
      } else {
        where.add(f.to);
        vm.state = 'running';
        vm.stateReason = null;
        this.log(`${vm.name} runs on ${f.to}${vm.refused ? ` (after ${vm.refused} refused starts)` : ''}`);
        vm.refused = 0;
      }
    }
  }

  private checkInvariants(): void {
    for (const [name, where] of this.qemu) {
      if (where.size > 1) this.violations.push(`${fmt(this.nowMs)} ${name} runs on ${[...where].join(' and ')}`);
    }
  }

  tick(): void {
    for (const e of this.scenario.events) if (Math.round(e.atS * 1000) === this.nowMs) this.applyEvent(e);
    this.agents();
    if (this.nowMs >= this.managerDownUntilMs) {
      if (this.managerWasDown) {
        this.managerWasDown = false;
        this.log('a manager takes over the HA monitor, from the database alone');
      }
      this.finishInFlight();
      this.execute(haStep(this.snapshot()).actions);
    }
    this.checkInvariants();
  }

  run(): SimResult {
    const end = this.scenario.durationS * 1000;
    for (this.nowMs = 0; this.nowMs <= end; this.nowMs += this.scenario.tickMs) this.tick();
    const final = [...this.vms.values()]
      .sort((a, b) => a.name.localeCompare(b.name))
      .map((v) => {
        const where = [...this.runsOn(v.name)].sort();
        return `${v.name}: ${where.length ? `running on ${where.join(' and ')}` : 'not running'} (record on ${v.hostId ?? 'none'}, ${v.state}${v.stateReason ? `, ${v.stateReason}` : ''})`;
      });
    return { timeline: this.timeline, violations: this.violations, final };
  }
}

export function simulate(input: unknown): SimResult {
  return new Simulation(scenarioSchema.parse(input)).run();
}

/** The text checked in beside a scenario (<name>.expected.txt): timeline, then where VMs end. */
export function formatResult(result: SimResult): string {
  return [
    ...result.timeline,
    '--- end',
    ...result.final,
    ...(result.violations.length ? ['--- VIOLATIONS', ...result.violations] : []),
  ].join('\n');
}
