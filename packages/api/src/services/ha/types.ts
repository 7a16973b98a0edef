/**
 * High availability (issue 9): the inputs and outputs of the HA decision code. The decision is a
 * pure step over a snapshot (plain data, a clock value, no database, no agents), so that the
 * monitor (monitor.ts, on real clusters), the simulator (simulate.ts, scenarios in files) and the
 * "what if this host fails now?" view all run the same code.
 *
 * The monitor's loop: load a snapshot (loader.ts) → `haStep` → carry out the actions (executor.ts:
 * host HA state writes, fencing through a fence agent, restarts through the target host's agent,
 * events, alerts) → the outcomes show up in the next snapshot (a host's haState becomes 'fenced'
 * or 'fence-failed'; a restarted VM runs on its new host). Nothing is remembered between steps
 * except what the snapshot carries, so a manager that takes over mid-recovery goes on from there.
 */
import type { PlacementSnapshot } from '../placement/types.ts';

/**
 * A host's HA state, kept in Host.haState:
 * - ok: its agent is connected (or not disconnected long enough to matter).
 * - unreachable: its agent has been gone for hostDownAfter, but a peer still sees its storage
 *   heartbeat change: its VMs are taken to be running; nothing is restarted.
 * - dead: unreachable and its heartbeat stale for heartbeatStaleAfter: it is to be fenced.
 * - fencing: the fence agent is running (set by the executor before it starts it).
 * - fenced: the fence agent said the host is off: its HA VMs are restarted elsewhere.
 * - fence-failed: fencing failed (or no fence device): restarts only once the host has had time
 *   to self-fence, and the lock manager still refuses a VM whose disks the host holds.
 * - self-fence-wait: no fence device; waiting until the host must have self-fenced.
 */
export const HA_HOST_STATES = [
  'ok',
  'unreachable',
  'dead',
  'fencing',
  'fenced',
  'fence-failed',
  'self-fence-wait',
] as const;
export type HaHostState = (typeof HA_HOST_STATES)[number];

/** Per cluster (Cluster.ha* columns), in milliseconds. */
export type HaConfig = {
  hostDownAfterMs: number;
  heartbeatStaleAfterMs: number;
  heartbeatIntervalMs: number;
  selfFenceAfterMs: number;
  /** Admission control: capacity kept for this many host failures. */
  reserveHostFailures: number;
  admission: 'warn' | 'refuse';
};

export type HaHost = {
  id: string;
  name: string;
  clusterId: string;
  /** Its agent holds a connection to some manager now (lease fresh). */
  connected: boolean;
  /** Manager clock (ms since epoch): when its agent was last connected (Host.lastSeenAt); null never. */
  lastSeenAtMs: number | null;
  /** Manager clock: last time a peer saw its storage heartbeat change (Host.heartbeatSeenAt). */
  heartbeatSeenAtMs: number | null;
  /** How many other hosts of its cluster are connected and reading heartbeats now. */
  peersReporting: number;
  /** A fence device is configured (Host.fenceAgent not ''). */
  fenceConfigured: boolean;
  maintenance: boolean;
  haState: HaHostState;
  /** Manager clock: when haState last changed. */
  haStateAtMs: number | null;
  /** Host.haNote (optional): with it, a changed note on the same state is written again. */
  haNote?: string | null | undefined;
};

export type HaVm = {
  id: string;
  name: string;
  /** The host its record is on (for an HA VM being restarted: the target, see restarting). */
  hostId: string | null;
  /** Vm.state: 'running', 'shutoff', 'unknown', ... */
  state: string;
  stateReason: string | null;
  memoryMiB: number;
  haEnabled: boolean;
  haPriority: number;
  haDependsOnId: string | null;
  /** Affinity groups it is in (placement ids). */
  groupIds: string[];
  /** Its host's libvirt reports a domain for it (HostDomain row present). */
  domainOnHost: boolean;
  /**
   * Manager clock: when its record's state last changed (Vm.stateChangedAt). A restart is taken
   * as interrupted only once it has been 'ha restarting' this long (RESTART_INTERRUPTED_AFTER_MS),
   * so one still under way is not started twice; absent, at once.
   */
  stateChangedAtMs?: number | null | undefined;
  /**
   * Manager clock: when its (connected) host last said it forced this VM off because its own
   * storage heartbeat failed (an 'ha.self-fenced' event); absent or null: never.
   */
  selfFencedAtMs?: number | null | undefined;
};

export type HaSnapshot = {
  nowMs: number;
  clusterId: string;
  config: HaConfig;
  hosts: HaHost[];
  vms: HaVm[];
  /** For choosing restart targets with the placement engine (same filters and weights). */
  placement: PlacementSnapshot;
};

/** What the step asks the executor to do; `why` texts are shown to admins as they are. */
export type HaAction =
  | { kind: 'host-state'; hostId: string; state: HaHostState; note: string }
  | { kind: 'fence'; hostId: string }
  /** Move the VM's record from `fromHostId` to `toHostId` (compare-and-set) and start it there. */
  | { kind: 'restart'; vmId: string; fromHostId: string; toHostId: string; why: string }
  /** Once per VM and cause; the executor records it as an event and keeps it open as an alert. */
  | { kind: 'not-restarted'; vmId: string; hostId: string; reason: string }
  | { kind: 'alert'; hostId: string; message: string };

export type HaStepResult = { actions: HaAction[] };

/** "What if this host fails now?": the same step, run on a copy where that host died. */
export type HaWhatIf = {
  hostId: string;
  hostName: string;
  /** How it would be made safe first: fenced through its device, or the self-fence wait. */
  recovery?: string | undefined;
  restarts: { vmId: string; vmName: string; toHostId: string; toHostName: string; why: string }[];
  notRestarted: { vmId: string; vmName: string; reason: string }[];
  /** VMs on the host without HA: they stay down. */
  notProtected: { vmId: string; vmName: string }[];
};

/**
 * Vm.stateReason the executor sets when it moves an HA VM's record to its restart target, before
 * it starts it there: a record with this reason and no domain on its (healthy) host is a restart
 * a manager did not finish, and the next step restarts it again on the same host.
 */
export const HA_RESTARTING_REASON = 'ha restarting';

/**
 * A shut-off HA VM counts as stopped by its host's self-fencing when its state last changed no
 * later than this after the host said so (the domain event and the `ha` message cross on the
 * wire); a VM started and stopped again since is an admin's, not HA's, to start.
 */
export const SELF_FENCE_MATCH_MS = 30_000;

/** A restart still 'ha restarting' with no domain after this long was cut short (its manager died). */
export const RESTART_INTERRUPTED_AFTER_MS = 30_000;
