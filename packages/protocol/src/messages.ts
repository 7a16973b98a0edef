/**
 * Agent ↔ manager messages. Every message on the wire is JSON, validated with these schemas on
 * receipt, on both sides. Requests carry an id; the reply echoes it with ok or error (the
 * `{id, ok|error}` envelope). Requests are idempotent: re-sending one after a reconnect is safe.
 */
import { z } from 'zod';
import { ERROR_CODES, OBJECT_TYPES } from './errors.ts';
import { storageRequests } from './methods/storage.ts';
import { imageRequests } from './methods/images.ts';
import { networkRequests } from './methods/networks.ts';
import { vmLifecycleRequests } from './methods/vm-lifecycle.ts';
import { vmEditRequests } from './methods/vm-edit.ts';
import { snapshotVolumeRequests } from './methods/snapshot-volumes.ts';
import { vmDeviceRequests } from './methods/vm-devices.ts';
import { snapshotRequests } from './methods/snapshots.ts';
import { consoleRequests } from './methods/consoles.ts';
import { sweepRequests } from './methods/sweeps.ts';
import { vmBootRequests } from './methods/vm-boot.ts';
import { haRequests } from './methods/ha.ts';
import { migrationRequests } from './methods/migration.ts';
import { cpuRequests, hostCpuSchema } from './methods/cpu.ts';
import { MAX_VM_DISKS, createdHardwareSchema, vmHardwareSchema, volumeRefSchema } from './methods/vm-hardware.ts';
import { memoryMiBSchema, uuidSchema, vcpusSchema, vmNameSchema } from './names.ts';

export const DOMAIN_STATES = [
  'running',
  'paused',
  'shutdown', // libvirt "being shut down"
  'shutoff',
  'crashed',
  'pmsuspended',
  'unknown',
] as const;
export const domainStateSchema = z.enum(DOMAIN_STATES);
export type DomainState = z.infer<typeof domainStateSchema>;

export const domainTypeSchema = z.enum(['kvm', 'qemu', 'xen']);
export type DomainType = z.infer<typeof domainTypeSchema>;

export const domainInfoSchema = z.object({
  uuid: uuidSchema,
  name: z.string().min(1).max(255),
  state: domainStateSchema,
  /** libvirt's state reason in words, e.g. "destroyed", "shutdown", "booted". */
  reason: z.string().max(64).optional(),
  /** Current vCPUs (`<vcpu current=…>`, else `<vcpu>`). */
  vcpus: z.number().int().nonnegative(),
  /** Memory the domain is given (`<currentMemory>`; virsh dominfo "Used memory"). */
  memoryMiB: z.number().int().nonnegative(),
  /** Ceiling it can balloon up to (`<memory>`; virsh dominfo "Max memory"): what placement counts. */
  maxMemoryMiB: z.number().int().nonnegative().optional(),
  persistent: z.boolean(),
  /** When the running (or paused) domain's QEMU process started (ISO); older agents omit it. */
  startedAt: z.string().datetime().optional(),
});
export type DomainInfo = z.infer<typeof domainInfoSchema>;

export const hostInfoSchema = z.object({
  /** libvirt's host UUID: the host's stable identity across agent restarts. */
  hostUuid: uuidSchema,
  hostname: z.string().min(1).max(255),
  cpuModel: z.string().max(255),
  cpuCount: z.number().int().positive(),
  memoryBytes: z.number().int().nonnegative(),
  memoryFreeBytes: z.number().int().nonnegative(),
  libvirtVersion: z.string().max(32),
  qemuVersion: z.string().max(32),
  /** Domain types this host can run, best first (kvm before qemu). */
  domainTypes: z.array(domainTypeSchema),
  /** The CPU it offers guests (issue 8's CPU compatibility); older agents omit it. */
  cpu: hostCpuSchema.optional(),
  storage: z.array(
    z.object({
      path: z.string(),
      capacityBytes: z.number().int().nonnegative(),
      availableBytes: z.number().int().nonnegative(),
    }),
  ),
});
export type HostInfo = z.infer<typeof hostInfoSchema>;

const absolutePath = z.string().regex(/^\/[^\0]*$/, 'must be an absolute path');

/** What the manager asks the agent to create: everything the agent needs, nothing it decides. */
export const vmCreateSpecSchema = z
  .object({
    uuid: uuidSchema,
    name: vmNameSchema,
    vcpus: vcpusSchema,
    memoryMiB: memoryMiBSchema,
    /** The original template: kernel boot and a qcow2 overlay of its disk in the VM storage dir. */
    template: z
      .object({
        kernelPath: absolutePath,
        initrdPath: absolutePath,
        diskPath: absolutePath,
        cmdline: z.string().max(1024),
        /** A clone: the overlay is a copy of this one (another VM's, in the VM storage dir). */
        copyOf: absolutePath.optional(),
      })
      .optional(),
    /**
     * Boot, pool-volume disks and NICs (methods/vm-hardware.ts). With a template, its disk comes
     * first and its kernel boots the VM; the firmware, further disks and the NICs come from here.
     */
    hardware: vmHardwareSchema.optional(),
  })
  .refine((s) => s.template || s.hardware, 'A VM needs a template or hardware.');
export type VmCreateSpec = z.infer<typeof vmCreateSpecSchema>;

const vmRef = z.object({ uuid: uuidSchema });

/** A Vireo-named file in an agent's VM storage dir: `<uuid>.qcow2` or `<uuid>.serial.log`. */
export const vmFileSchema = z.object({ uuid: uuidSchema, path: absolutePath });
export type VmFile = z.infer<typeof vmFileSchema>;

/** A file an operation could not remove (or chose to keep), and why. */
export const fileErrorSchema = z.object({
  path: z.string().max(4096),
  code: z.enum(ERROR_CODES),
  message: z.string().max(2000),
});
export type FileError = z.infer<typeof fileErrorSchema>;

/** Every request the manager can send, with its params and the shape of its result. */
export const agentRequests = {
  'vm.create': {
    params: z.object({ spec: vmCreateSpecSchema }),
    result: z.object({
      domain: domainInfoSchema,
      /** The first disk's path ('' when the VM has none). */
      diskPath: z.string(),
      /** Drives and NICs as libvirt has them (agents before VM hardware omit it). */
      hardware: createdHardwareSchema.optional(),
    }),
  },
  'vm.start': { params: vmRef, result: z.object({ domain: domainInfoSchema }) },
  'vm.shutdown': {
    params: vmRef.extend({ timeoutMs: z.number().int().min(1000).max(600_000) }),
    result: z.object({ domain: domainInfoSchema }),
  },
  'vm.forceOff': { params: vmRef, result: z.object({ domain: domainInfoSchema }) },
  /**
   * Undefine the domain and delete its own files (never a template's base image). Once the
   * domain is gone the VM is deleted, even if some of its files could not be removed: those are
   * listed in `notRemoved` with the storage error, and the agent retries them later. Disks that
   * are not the VM's own (a base image outside the VM storage dir, another VM's `<uuid>.qcow2`
   * attached to it) are never removed: they are listed in `keptDisks`.
   */
  'vm.delete': {
    /**
     * `ownVolumes`: pool volumes made for this VM (linked clones, copies, blank disks), deleted
     * with it once its domain is gone; never a base or a volume it merely attached.
     */
    params: vmRef.extend({
      ownVolumes: z.array(volumeRefSchema).max(MAX_VM_DISKS).optional(),
      /** Keep the VM's own pool volumes (listed in `keptDisks`); its overlay, seed ISO, NVRAM and log still go. */
      keepDisks: z.boolean().optional(),
    }),
    result: z.object({
      deletedDisks: z.array(z.string()),
      notRemoved: z.array(fileErrorSchema).optional(),
      keptDisks: z.array(z.string()).optional(),
    }),
  },
  /**
   * Remove files in the VM storage dir that the manager found belong to no VM. The agent removes
   * a file only if it is still Vireo-named, inside its VM storage dir, and no domain on its host
   * uses it; the rest are reported as kept.
   */
  'storage.removeOrphans': {
    params: z.object({ files: z.array(vmFileSchema).max(10_000) }),
    result: z.object({
      removed: z.array(z.string().max(4096)).max(10_000),
      kept: z.array(fileErrorSchema).max(10_000),
    }),
  },
  /** Open a VNC relay: the agent dials back to the manager's console endpoint with channelId. */
  'console.open': {
    params: vmRef.extend({ channelId: z.string().regex(/^[A-Za-z0-9_-]{16,64}$/) }),
    result: z.object({}),
  },
  ...storageRequests,
  ...imageRequests,
  ...networkRequests,
  ...vmLifecycleRequests,
  ...snapshotRequests,
  ...consoleRequests,
  ...sweepRequests,
  ...vmEditRequests,
  ...snapshotVolumeRequests,
  ...vmDeviceRequests,
  ...vmBootRequests,
  ...migrationRequests,
  ...cpuRequests,
  ...haRequests,
} as const;

export type AgentMethod = keyof typeof agentRequests;
export type AgentParams<M extends AgentMethod> = z.infer<(typeof agentRequests)[M]['params']>;
export type AgentResult<M extends AgentMethod> = z.infer<(typeof agentRequests)[M]['result']>;

const methodNames = Object.keys(agentRequests) as [AgentMethod, ...AgentMethod[]];

export const requestMessageSchema = z.object({
  t: z.literal('request'),
  id: z.string().min(1).max(64),
  method: z.enum(methodNames),
  params: z.unknown(),
  /**
   * The operation this request carries out, e.g. the manager's task id (optional; older managers
   * omit it). The agent journals host-changing work under this key, and a request re-sent with a
   * key that is still running attaches to that run instead of starting a second one.
   */
  taskId: z.string().min(1).max(64).optional(),
});
export type RequestMessage = z.infer<typeof requestMessageSchema>;

export const errorPayloadSchema = z.object({
  code: z.enum(ERROR_CODES),
  message: z.string().max(4000),
  object: z.enum(OBJECT_TYPES).optional(),
  libvirt: z.object({ code: z.number().optional(), message: z.string() }).optional(),
  details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
});

export const replyMessageSchema = z.discriminatedUnion('ok', [
  z.object({ t: z.literal('reply'), id: z.string(), ok: z.literal(true), result: z.unknown() }),
  z.object({ t: z.literal('reply'), id: z.string(), ok: z.literal(false), error: errorPayloadSchema }),
]);
export type ReplyMessage = z.infer<typeof replyMessageSchema>;

export const progressMessageSchema = z.object({
  t: z.literal('progress'),
  id: z.string(),
  progress: z.number().min(0).max(100),
  message: z.string().max(500).optional(),
});

/** Sent first on every (re)connect: the host's full state, before any delta. */
export const stateMessageSchema = z.object({
  t: z.literal('state'),
  protocolVersion: z.number().int(),
  agentVersion: z.string().max(32),
  host: hostInfoSchema,
  domains: z.array(domainInfoSchema),
  /**
   * VMs with an operation still running in the agent (e.g. a create whose define has not happened
   * yet): their absence from `domains` proves nothing, so the manager does not settle them yet.
   */
  inFlight: z.array(uuidSchema).max(10_000).optional(),
  /**
   * The Vireo-named files in the agent's VM storage dir (optional; older agents omit it), so the
   * manager can find files that belong to no VM. The dir may be shared by several hosts.
   */
  vmFiles: z.array(vmFileSchema).max(10_000).optional(),
});

/** A libvirt lifecycle event, already resolved to the domain's current state. */
export const domainEventMessageSchema = z.object({
  t: z.literal('domain'),
  at: z.number().int(),
  /** libvirt's event name in words: defined, undefined, started, suspended, resumed, stopped, shutdown, ... */
  event: z.string().max(32),
  /** null when the domain no longer exists (undefined). */
  domain: domainInfoSchema.nullable(),
  uuid: uuidSchema,
});

export const statsMessageSchema = z.object({
  t: z.literal('stats'),
  at: z.number().int(),
  host: z.object({
    cpuUsagePercent: z.number().min(0).max(100),
    memoryFreeBytes: z.number().int().nonnegative(),
    /** Optional (agents before stats history did not send it). */
    memoryTotalBytes: z.number().int().nonnegative().optional(),
  }),
  domains: z.array(
    z.object({
      uuid: uuidSchema,
      cpuUsagePercent: z.number().min(0),
      memoryUsedBytes: z.number().int().nonnegative().optional(),
      // Rates in bytes per second over the last interval, summed over the domain's disks and
      // interfaces; absent in a domain's first sample (no previous counters) and from older agents.
      diskReadBps: z.number().nonnegative().optional(),
      diskWriteBps: z.number().nonnegative().optional(),
      netRxBps: z.number().nonnegative().optional(),
      netTxBps: z.number().nonnegative().optional(),
    }),
  ),
});

/**
 * High availability (issue 9), every heartbeat interval: this host's own storage heartbeat and what
 * it reads of its peers' (methods/ha.ts). Times are durations on the agent's own clock, so clocks
 * need not agree; the manager turns them into "last seen" on its own.
 */
export const haMessageSchema = z.object({
  t: z.literal('ha'),
  at: z.number().int(),
  own: z.object({
    /** How long ago its last write succeeded; null: none since the agent started. */
    lastWriteOkAgoMs: z.number().int().nonnegative().nullable(),
    /** Why the last write failed, while writes fail. */
    error: z.string().max(500).optional(),
    /** HA VMs it forced off because its heartbeat stopped (self-fencing), since it last said so. */
    selfFenced: z.array(uuidSchema).max(10_000),
  }),
  /** Each peer heartbeat file it reads: how long its content has not changed, on this host's clock. */
  peers: z.array(z.object({ hostUuid: uuidSchema, unchangedForMs: z.number().int().nonnegative() })).max(1_000),
});
export type HaMessage = z.infer<typeof haMessageSchema>;

export const agentMessageSchema = z.discriminatedUnion('t', [
  haMessageSchema,
  stateMessageSchema,
  domainEventMessageSchema,
  statsMessageSchema,
  replyMessageSchema,
  progressMessageSchema,
]);
export type AgentMessage = z.infer<typeof agentMessageSchema>;
export type StateMessage = z.infer<typeof stateMessageSchema>;
export type DomainEventMessage = z.infer<typeof domainEventMessageSchema>;
export type StatsMessage = z.infer<typeof statsMessageSchema>;

export const managerMessageSchema = requestMessageSchema;
export type ManagerMessage = RequestMessage;

/** HTTP: POST /api/agent/enroll exchanges a one-time enrollment token for a host credential. */
export const enrollRequestSchema = z.object({
  token: z.string().min(16).max(128),
  hostUuid: uuidSchema,
  hostname: z.string().min(1).max(255),
});
export const enrollResponseSchema = z.object({
  hostId: z.string(),
  /** Secret the agent presents as `Authorization: Bearer <credential>` from now on. */
  credential: z.string().min(32),
});
export type EnrollRequest = z.infer<typeof enrollRequestSchema>;
export type EnrollResponse = z.infer<typeof enrollResponseSchema>;

/** Paths on the manager. */
export const AGENT_WS_PATH = '/ws/agent';
export const AGENT_CONSOLE_WS_PATH = '/ws/agent-console';
export const BROWSER_CONSOLE_WS_PATH = '/ws/console';
export const ENROLL_PATH = '/api/agent/enroll';
