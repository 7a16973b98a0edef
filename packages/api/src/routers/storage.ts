import {
  normalizedPathSchema,
  poolNameSchema,
  volumeFormatSchema,
  volumeNameSchema,
  volumeSizeSchema,
} from '@vireo/protocol';
import { z } from 'zod';
import { createPool, deletePool, listPoolsFor, poolTargets } from '../services/storage-pools.ts';
import { cloneVolume, createVolume, deleteVolume, resizeVolume } from '../services/storage-volumes.ts';
import { rule } from '../services/permissions/rules.ts';
import { adminProcedure, authedProcedure, router } from '../trpc.ts';

const volumeRef = z.object({ pool: poolNameSchema, name: volumeNameSchema });
const id = z.string().min(1).max(64);

/** Storage pools and volumes: admins manage them (pools span hosts; volumes are every user's disks). */
export const storageRouter = router({
  /**
   * Every pool with its figures on each of its hosts and its volumes (who uses each); for a
   * project member, the pools published to its projects, without hosts or volumes.
   */
  list: authedProcedure.meta(rule.list('pool')).query(({ ctx }) => listPoolsFor(ctx.user)),
  /** Where a pool can go: clusters and their hosts. */
  targets: adminProcedure.query(() => poolTargets()),
  createPool: adminProcedure
    .input(
      z.discriminatedUnion('scope', [
        z.object({ scope: z.literal('cluster'), clusterId: id, name: poolNameSchema, path: normalizedPathSchema }),
        z.object({ scope: z.literal('host'), hostId: id, name: poolNameSchema, path: normalizedPathSchema }),
      ]),
    )
    .mutation(({ input }) => createPool(input)),
  deletePool: adminProcedure.input(z.object({ name: poolNameSchema })).mutation(async ({ input }) => {
    await deletePool(input.name);
    return { name: input.name };
  }),
  createVolume: adminProcedure
    .input(volumeRef.extend({ format: volumeFormatSchema, capacityBytes: volumeSizeSchema }))
    .mutation(({ ctx, input }) => createVolume(ctx.user, input)),
  resizeVolume: adminProcedure
    .input(volumeRef.extend({ capacityBytes: volumeSizeSchema }))
    .mutation(({ ctx, input }) => resizeVolume(ctx.user, input)),
  /** `linked`: qcow2 over the source (always qcow2); `full`: an independent copy in `format`. */
  cloneVolume: adminProcedure
    .input(
      volumeRef.extend({
        source: volumeRef,
        mode: z.enum(['linked', 'full']),
        format: volumeFormatSchema.default('qcow2'),
      }),
    )
    .mutation(({ ctx, input }) => cloneVolume(ctx.user, input)),
  deleteVolume: adminProcedure.input(volumeRef).mutation(({ ctx, input }) => deleteVolume(ctx.user, input)),
});
