/**
 * Migration of a VM to another host, asked of the SOURCE host's agent (libvirt peer-to-peer: the
 * source libvirtd talks to the destination's itself). The destination URI is built by the agent
 * from `destination.address` and its own transport setting (TLS in production).
 */
import { z } from 'zod';
import { normalizedPathSchema } from './storage.ts';

export const migrationModeSchema = z.enum(['shared', 'block']);
export type MigrationMode = z.infer<typeof migrationModeSchema>;

const vmRef = z.object({ uuid: z.uuid() });

export const vmMigrateParamsSchema = vmRef.extend({
  destination: z.object({
    /** The destination host's address, as other hosts reach its libvirtd. */
    address: z.string().min(1).max(255),
    hostId: z.string().min(1).max(64),
  }),
  /** shared: the disks are on storage both hosts see; block: copied over the migration stream. */
  mode: migrationModeSchema,
  /** false: a shut-off VM, only its definition moves (offline migration). */
  live: z.boolean(),
  maxDowntimeMs: z.number().int().min(1).max(60_000).optional(),
  /** 0: unlimited. */
  bandwidthMiBs: z.number().int().min(0).max(100_000).optional(),
  autoConverge: z.boolean().optional(),
  /** May switch to post-copy when pre-copy does not converge. */
  postCopy: z.boolean().optional(),
  /**
   * Block migration: where each copied disk goes on the destination (a volume the manager made
   * there beforehand, in one of the destination's own pools). Only these disks are copied.
   */
  diskPaths: z
    .array(z.object({ from: normalizedPathSchema, to: normalizedPathSchema }))
    .max(32)
    .optional(),
});

export const vmMigrateResultSchema = z.object({
  /** Wall time of the migration as libvirt measured it (ms). */
  totalMs: z.number().nonnegative(),
  /** Measured downtime (ms); absent for an offline migration. */
  downtimeMs: z.number().nonnegative().optional(),
  /** Bytes sent (memory, and disks for block). */
  dataBytes: z.number().nonnegative().optional(),
  /** Last dirty rate seen, bytes/s (for the next estimate). */
  dirtyBps: z.number().nonnegative().optional(),
  postCopy: z.boolean(),
  /** The domain had already left this host (a re-sent request): nothing was measured. */
  alreadyDone: z.boolean(),
});
export type VmMigrateResult = z.infer<typeof vmMigrateResultSchema>;

export const migrationRequests = {
  /** Progress is reported about every 500 ms. Success: the domain runs (or is defined) on the destination only. */
  'vm.migrate': { params: vmMigrateParamsSchema, result: vmMigrateResultSchema },
  /** Aborts the VM's migration job; the VM keeps running here. `aborted` false: no job was running. */
  'vm.migrateAbort': { params: vmRef, result: z.object({ aborted: z.boolean() }) },
};
