/**
 * Migration procedures of the `vm` router (spread into it: `vm.migrateCheck`, `vm.migrate`,
 * `vm.cancelMigrate`). vm.migrate returns `{ taskId }` at once; the migration runs as the task.
 */
import { migrationModeSchema } from '@vireo/protocol';
import { z } from 'zod';
import { cancelMigration, checkMigration, migrateVm } from '../services/vm-migrate.ts';
import { rule } from '../services/permissions/rules.ts';
import { authedProcedure, vmProcedure } from '../trpc.ts';

const hostId = z.string().min(1).max(64);

export const vmMigrateProcedures = {
  /**
   * Pre-checks (each with its reason) and an estimate, for one target or every other host the
   * caller operates. Administrators, and operators of the VM's host or cluster (vm-migrate.ts).
   */
  migrateCheck: vmProcedure
    .meta(rule.vm('operate'))
    .input(z.object({ targetHostId: hostId.optional(), mode: migrationModeSchema.optional() }))
    .query(({ ctx, input }) => checkMigration(ctx.vm, input, ctx.user)),
  /**
   * Live for a running VM, cold for a stopped one; options default to the cluster's policy.
   * Administrators, and operators of both hosts (vm-migrate.ts).
   */
  migrate: vmProcedure
    .meta(rule.vm('operate'))
    .input(
      z.object({
        targetHostId: hostId,
        mode: migrationModeSchema.optional(),
        maxDowntimeMs: z.number().int().min(1).max(60_000).optional(),
        bandwidthMiBs: z.number().int().min(0).max(100_000).optional(),
        autoConverge: z.boolean().optional(),
        postCopy: z.boolean().optional(),
      }),
    )
    .mutation(({ ctx, input }) => migrateVm(ctx.vm, input, ctx.user)),
  /** Asks a running migration to stop; the VM keeps running on its host and the task ends CANCELLED. */
  cancelMigrate: authedProcedure
    .meta(rule.self)
    .input(z.object({ taskId: z.string().min(1).max(64) }))
    .mutation(({ ctx, input }) => cancelMigration(input.taskId, ctx.user)),
};
