/**
 * A pool volume from one internal snapshot of a qcow2 disk: the disk as it was at the snapshot,
 * flattened (its backing chain read through) into a new qcow2 with no backing file. Linked clones
 * of a snapshot use these as their template's bases.
 */
import { z } from 'zod';
import { snapshotNameSchema } from './snapshots.ts';
import { normalizedPathSchema, poolNameSchema, volumeInfoSchema, volumeNameSchema } from './storage.ts';

export const snapshotVolumeRequests = {
  /**
   * Exports `sourcePath` (a qcow2 disk of a shut-off VM) at internal snapshot `snapshot` into the
   * new volume `name` of `pool`. Journalled while it is made: an agent killed mid-way leaves no
   * volume. Re-sent after success: the same volume is returned. An unknown snapshot: NOT_FOUND.
   */
  'volume.fromSnapshot': {
    params: z.object({
      pool: poolNameSchema,
      name: volumeNameSchema,
      sourcePath: normalizedPathSchema,
      snapshot: snapshotNameSchema,
    }),
    result: z.object({ volume: volumeInfoSchema }),
  },
} as const;
