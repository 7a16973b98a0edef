/**
 * libvirt enums Vireo uses, mirrored once with libvirt's own names. Values come from libvirt's
 * public headers; the links point at the documentation of each enum. Mapping to Vireo's words
 * happens here and nowhere else.
 */
import type { DomainState } from '@vireo/protocol';

/** https://libvirt.org/html/libvirt-libvirt-domain.html#virDomainState */
export const VIR_DOMAIN_STATE = {
  NOSTATE: 0,
  RUNNING: 1,
  BLOCKED: 2,
  PAUSED: 3,
  SHUTDOWN: 4,
  SHUTOFF: 5,
  CRASHED: 6,
  PMSUSPENDED: 7,
} as const;

const STATE_WORDS: Record<number, DomainState> = {
  0: 'unknown',
  1: 'running',
  2: 'running', // BLOCKED: running but waiting on a resource
  3: 'paused',
  4: 'shutdown',
  5: 'shutoff',
  6: 'crashed',
  7: 'pmsuspended',
};

/**
 * Reasons per state, index = libvirt's value.
 * https://libvirt.org/html/libvirt-libvirt-domain.html#virDomainRunningReason (and the
 * virDomainPausedReason, virDomainShutdownReason, virDomainShutoffReason, virDomainCrashedReason,
 * virDomainPMSuspendedReason enums next to it).
 */
const STATE_REASONS: Record<number, readonly string[]> = {
  0: ['unknown'],
  1: [
    'unknown',
    'booted',
    'migrated',
    'restored',
    'from snapshot',
    'unpaused',
    'migration canceled',
    'save canceled',
    'wakeup',
    'crashed',
    'postcopy',
    'postcopy failed',
  ],
  2: ['unknown'],
  3: [
    'unknown',
    'user',
    'migration',
    'save',
    'dump',
    'ioerror',
    'watchdog',
    'from snapshot',
    'shutting down',
    'snapshot',
    'crashed',
    'starting up',
    'postcopy',
    'postcopy failed',
    'api error',
  ],
  4: ['unknown', 'user'],
  5: ['unknown', 'shutdown', 'destroyed', 'crashed', 'migrated', 'saved', 'failed', 'from snapshot', 'daemon'],
  6: ['unknown', 'panicked'],
  7: ['unknown'],
};

export function stateToWords(state: number, reason: number): { state: DomainState; reason: string } {
  return {
    state: STATE_WORDS[state] ?? 'unknown',
    reason: STATE_REASONS[state]?.[reason] ?? 'unknown',
  };
}

/** https://libvirt.org/html/libvirt-libvirt-domain.html#virDomainEventType */
export const VIR_DOMAIN_EVENT = {
  DEFINED: 0,
  UNDEFINED: 1,
  STARTED: 2,
  SUSPENDED: 3,
  RESUMED: 4,
  STOPPED: 5,
  SHUTDOWN: 6,
  PMSUSPENDED: 7,
  CRASHED: 8,
} as const;

const EVENT_WORDS = [
  'defined',
  'undefined',
  'started',
  'suspended',
  'resumed',
  'stopped',
  'shutdown',
  'pmsuspended',
  'crashed',
] as const;

/**
 * Details per event type, index = libvirt's value.
 * https://libvirt.org/html/libvirt-libvirt-domain.html#virDomainEventDefinedDetailType and the
 * Undefined/Started/Suspended/Resumed/Stopped/Shutdown/PMSuspended/Crashed detail enums.
 */
const EVENT_DETAILS: Record<number, readonly string[]> = {
  0: ['added', 'updated', 'renamed', 'from snapshot'],
  1: ['removed', 'renamed'],
  2: ['booted', 'migrated', 'restored', 'from snapshot', 'wakeup'],
  3: [
    'paused',
    'migrated',
    'ioerror',
    'watchdog',
    'restored',
    'from snapshot',
    'api error',
    'postcopy',
    'postcopy failed',
  ],
  4: ['unpaused', 'migrated', 'from snapshot', 'postcopy', 'postcopy failed'],
  5: ['shutdown', 'destroyed', 'crashed', 'migrated', 'saved', 'failed', 'from snapshot'],
  // SHUTDOWN/FINISHED: the guest finished shutting down; GUEST/HOST: who asked for it.
  6: ['finished', 'guest', 'host'],
  7: ['memory', 'disk'],
  8: ['panicked', 'crashloaded'],
};

export function eventToWords(event: number, detail: number): { event: string; detail: string } {
  return {
    event: EVENT_WORDS[event] ?? `event-${event}`,
    detail: EVENT_DETAILS[event]?.[detail] ?? `detail-${detail}`,
  };
}

/** https://libvirt.org/html/libvirt-libvirt-domain.html#virDomainStatsTypes */
export const VIR_DOMAIN_STATS = { STATE: 1, CPU_TOTAL: 2, BALLOON: 4, VCPU: 8, INTERFACE: 16, BLOCK: 32 } as const;

/** https://libvirt.org/html/libvirt-libvirt-domain.html#virDomainShutdownFlagValues */
export const VIR_DOMAIN_SHUTDOWN_ACPI_POWER_BTN = 1;

/** https://libvirt.org/html/libvirt-libvirt-domain.html#virDomainUndefineFlagsValues */
export const VIR_DOMAIN_UNDEFINE = {
  MANAGED_SAVE: 1,
  SNAPSHOTS_METADATA: 2,
  NVRAM: 4,
  KEEP_NVRAM: 8,
  CHECKPOINTS_METADATA: 16,
} as const;

/** https://libvirt.org/html/libvirt-libvirt-host.html#virNodeGetCPUStatsAllCPUs */
export const VIR_NODE_CPU_STATS_ALL_CPUS = -1;
/** https://libvirt.org/html/libvirt-libvirt-host.html#virNodeGetMemoryStatsAllCells */
export const VIR_NODE_MEMORY_STATS_ALL_CELLS = -1;

/** libvirt packs versions as major * 1,000,000 + minor * 1,000 + micro (virConnectGetLibVersion). */
export function versionToString(packed: number | bigint): string {
  const v = Number(packed);
  return `${Math.floor(v / 1_000_000)}.${Math.floor((v % 1_000_000) / 1000)}.${v % 1000}`;
}
