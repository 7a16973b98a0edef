import { z } from 'zod';
import { snapshotDescriptionSchema, snapshotNameSchema } from '@vireo/protocol';
import { snapshots } from '@vireo/db';
import {
  createSnapshot,
  deleteSnapshot,
  listSnapshots,
  revertSnapshot,
  updateSnapshot,
} from '../services/snapshots.ts';
import { runScheduleNow } from '../services/snapshot-schedule.ts';
import { rule } from '../services/permissions/rules.ts';
import { router, vmProcedure } from '../trpc.ts';

const scheduleInput = z
  .object({
    intervalMinutes: z
      .number()
      .int()
      .min(1)
      .max(60 * 24 * 31),
    withMemory: z.boolean().default(false),
    keepLast: z.number().int().min(1).max(1000).nullable().default(null),
    keepDays: z.number().int().min(1).max(3650).nullable().default(null),
    enabled: z.boolean().default(true),
    /** When the first run happens (then every interval); default: one interval from now. */
    startAt: z.iso
      .datetime({ offset: true })
      .optional()
      .refine((t) => t === undefined || Math.abs(Date.parse(t) - Date.now()) < 366 * 86_400_000, {
        message: 'The first run must be within a year from now.',
      }),
  })
  .refine((s) => s.keepLast !== null || s.keepDays !== null, {
    message: 'Choose a retention: keep the last N, or keep for D days (or both).',
  });

export const snapshotRouter = router({
  /** The VM's snapshots (flat; `parent` names the parent), from its host when it answers. */
  list: vmProcedure.meta(rule.vm('view')).query(({ ctx }) => listSnapshots(ctx.vm)),
  /** With memory: the VM must be running; disk-only: shut off (internal qcow2 snapshots). */
  create: vmProcedure
    .meta(rule.vm('operate'))
    .input(
      z.object({
        name: snapshotNameSchema,
        description: snapshotDescriptionSchema.optional(),
        withMemory: z.boolean(),
      }),
    )
    .mutation(({ ctx, input }) =>
      createSnapshot(
        ctx.vm,
        { name: input.name, description: input.description, withMemory: input.withMemory },
        ctx.user.id,
      ),
    ),
  /** `start`: boot from a disk-only snapshot (a memory snapshot always comes back running). */
  // Reverting and deleting lose state (the VM's present, or a restore point): 'edit', as for
  // other changes to the VM; taking a snapshot is 'operate' (it loses nothing).
  revert: vmProcedure
    .meta(rule.vm('edit'))
    .input(z.object({ name: snapshotNameSchema, start: z.boolean().optional() }))
    .mutation(({ ctx, input }) => revertSnapshot(ctx.vm, input, ctx.user)),
  delete: vmProcedure
    .meta(rule.vm('edit'))
    .input(z.object({ name: snapshotNameSchema }))
    .mutation(({ ctx, input }) => deleteSnapshot(ctx.vm, input.name, ctx.user.id)),
  /** Rename (display name; null goes back to libvirt's name) and/or describe. */
  update: vmProcedure
    .meta(rule.vm('operate'))
    .input(
      z.object({
        name: snapshotNameSchema,
        displayName: z.string().max(100).nullable().optional(),
        description: snapshotDescriptionSchema.optional(),
      }),
    )
    .mutation(({ ctx, input }) => updateSnapshot(ctx.vm, input)),
  schedule: vmProcedure.meta(rule.vm('view')).query(async ({ ctx }) => {
    const s = await snapshots.scheduleOf(ctx.vm.id);
    return s && { ...s, nextRunAt: s.nextRunAt.toISOString(), lastRunAt: s.lastRunAt?.toISOString() ?? null };
  }),
  /** Sets (or replaces) the VM's schedule; the first run is at `startAt`, else one interval from now. */
  setSchedule: vmProcedure
    .meta(rule.vm('edit'))
    .input(z.object({ schedule: scheduleInput.nullable() }))
    .mutation(async ({ ctx, input }) => {
      if (!input.schedule) {
        await snapshots.removeSchedule(ctx.vm.id);
        return null;
      }
      const { startAt, ...s } = input.schedule;
      const row = await snapshots.putSchedule(ctx.vm.id, {
        ...s,
        nextRunAt: startAt ? new Date(startAt) : new Date(Date.now() + s.intervalMinutes * 60_000),
      });
      return { ...row, nextRunAt: row.nextRunAt.toISOString(), lastRunAt: row.lastRunAt?.toISOString() ?? null };
    }),
  /** One run of the schedule now (snapshot, then retention); the next run moves one interval on. */
  runScheduleNow: vmProcedure.meta(rule.vm('operate')).mutation(({ ctx }) => runScheduleNow(ctx.vm, ctx.user.id)),
});
