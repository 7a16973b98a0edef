/**
 * VM snapshots (libvirt's snapshot API). libvirt is the truth for which snapshots exist: every
 * request that changes them answers with the VM's whole list, which the manager mirrors.
 */
import { z } from 'zod';

/**
 * libvirt snapshot names double as the qcow2 internal snapshot tag (QEMU's `savevm`/`loadvm`
 * name), so they are kept conservative: no spaces, no XML metacharacters.
 */
export const snapshotNameSchema = z
  .string()
  .min(1, 'Name is required.')
  .max(64, 'Name must be at most 64 characters.')
  .regex(
    /^[A-Za-z0-9][A-Za-z0-9._-]*$/,
    'Name may contain only letters, digits, ".", "-" and "_", and must start with a letter or digit.',
  );

export const snapshotDescriptionSchema = z.string().max(1000);

export const snapshotInfoSchema = z.object({
  name: snapshotNameSchema,
  description: z.string().max(4000),
  /** The parent snapshot's name; null for a root. */
  parent: z.string().nullable(),
  /** The domain's state when it was taken (libvirt's words: running, shutoff, paused, …). */
  state: z.string().max(32),
  /** Memory state included: reverting resumes the guest where it was. */
  withMemory: z.boolean(),
  /** Unix ms (libvirt keeps seconds). */
  createdAt: z.number().int().nonnegative(),
  /** libvirt's current snapshot: the one the VM's disks descend from. */
  current: z.boolean(),
});
export type SnapshotInfo = z.infer<typeof snapshotInfoSchema>;

const vmRef = z.object({ uuid: z.uuid() });
const snapshotList = z.object({ snapshots: z.array(snapshotInfoSchema).max(1000) });
const domainAfter = z.object({ state: z.string().max(32) });

export const snapshotRequests = {
  'snapshot.list': { params: vmRef, result: snapshotList },
  /**
   * With memory: the VM must be running (QEMU `savevm`: disks and RAM in the qcow2 file).
   * Without: the VM must be shut off (`qemu-img snapshot`). See ops/snapshots.ts for why.
   */
  'snapshot.create': {
    params: vmRef.extend({
      name: snapshotNameSchema,
      description: snapshotDescriptionSchema.optional(),
      withMemory: z.boolean(),
    }),
    result: snapshotList,
  },
  /**
   * A memory snapshot comes back running (or paused with `paused`); a disk-only one comes back
   * shut off, or booted from it with `start`.
   */
  'snapshot.revert': {
    params: vmRef.extend({ name: snapshotNameSchema, start: z.boolean().optional(), paused: z.boolean().optional() }),
    result: snapshotList.extend({ domain: domainAfter }),
  },
  /** Deletes one snapshot; its children are re-parented (libvirt merges its data into them). */
  'snapshot.delete': { params: vmRef.extend({ name: snapshotNameSchema }), result: snapshotList },
  /** Every snapshot of the VM (before a VM is deleted). */
  'snapshot.deleteAll': { params: vmRef, result: snapshotList },
  'snapshot.describe': {
    params: vmRef.extend({ name: snapshotNameSchema, description: snapshotDescriptionSchema }),
    result: snapshotList,
  },
} as const;
