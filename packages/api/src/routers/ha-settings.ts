import { z } from 'zod';
import { objectId } from '../schemas/inventory.ts';
import { loadAdmission } from '../services/ha/admission.ts';
import {
  clusterHa,
  HA_BOUNDS,
  hostFence,
  setHostFence,
  setVmHa,
  testHostFence,
  updateClusterHa,
  vmHa,
} from '../services/ha/settings.ts';
import { rule } from '../services/permissions/rules.ts';
import { adminProcedure, router } from '../trpc.ts';

const seconds = (what: string, [min, max]: readonly [number, number]) =>
  z
    .number()
    .int(`${what} is a whole number of seconds.`)
    .min(min, `${what} is at least ${min} s.`)
    .max(max, `${what} is at most ${max} s.`);

const fenceOptionName = z
  .string()
  .regex(/^[a-z_][a-z0-9_]*$/, 'An option name is lower-case letters, digits and "_" (e.g. ip, username, plug).')
  .max(64);
const fenceOptionValue = z
  .string()
  .max(1024, 'An option value is at most 1024 characters.')
  .refine((v) => !/[\r\n\0]/.test(v), 'An option value cannot hold a line break.');

/** High availability settings (issue 9): admins only. Part A's routers/ha.ts has the what-if. */
export const haSettingsRouter = router({
  vm: adminProcedure.input(z.object({ vmId: objectId })).query(({ input }) => vmHa(input.vmId)),
  setVm: adminProcedure
    .input(
      z.object({
        vmId: objectId,
        enabled: z.boolean(),
        priority: z
          .number()
          .int('The priority is a whole number.')
          .min(0, 'The priority is 0 to 100.')
          .max(100, 'The priority is 0 to 100.'),
        dependsOnVmId: objectId.nullable(),
      }),
    )
    .mutation(({ ctx, input }) => setVmHa(input, ctx.user)),
  /** Would every HA VM of the cluster restart after its reserved host failures? */
  admission: adminProcedure
    .meta(rule.on('view', 'cluster', 'clusterId'))
    .input(z.object({ clusterId: objectId }))
    .query(({ input }) => loadAdmission(input.clusterId)),
  cluster: adminProcedure
    .meta(rule.on('view', 'cluster', 'clusterId'))
    .input(z.object({ clusterId: objectId }))
    .query(({ input }) => clusterHa(input.clusterId)),
  updateCluster: adminProcedure
    .input(
      z.object({
        clusterId: objectId,
        hostDownAfterS: seconds('Host down after', HA_BOUNDS.hostDownAfterS),
        heartbeatStaleAfterS: seconds('Heartbeat stale after', HA_BOUNDS.heartbeatStaleAfterS),
        heartbeatIntervalS: seconds('The heartbeat interval', HA_BOUNDS.heartbeatIntervalS),
        selfFenceAfterS: seconds('Self-fence after', HA_BOUNDS.selfFenceAfterS),
        reserveHostFailures: z
          .number()
          .int()
          .min(0, 'Reserve 0 or more host failures.')
          .max(HA_BOUNDS.reserveHostFailures[1], `At most ${HA_BOUNDS.reserveHostFailures[1]} host failures.`),
        admission: z.enum(['warn', 'refuse']),
      }),
    )
    .mutation(({ ctx, input }) => {
      const { clusterId, ...settings } = input;
      return updateClusterHa(clusterId, settings, ctx.user);
    }),
  /** The host's fence device (passwords masked) and its HA state. */
  fence: adminProcedure.input(z.object({ hostId: objectId })).query(({ input }) => hostFence(input.hostId)),
  setFence: adminProcedure
    .input(
      z.object({
        hostId: objectId,
        agent: z
          .string()
          .regex(
            /^(fence_[a-z0-9_]+)?$/,
            'A fence agent is a fence-agents executable name like fence_ipmilan, or empty for none.',
          )
          .max(64),
        options: z
          .record(fenceOptionName, fenceOptionValue)
          .refine((o) => Object.keys(o).length <= 32, 'At most 32 options.')
          .refine((o) => !('action' in o), 'The action is chosen by Vireo (status, off, on), not an option.'),
      }),
    )
    .mutation(({ ctx, input }) => setHostFence(input, ctx.user)),
  /** Runs the fence agent's `status` action now: says whether the device answers and the power state. */
  testFence: adminProcedure
    .input(z.object({ hostId: objectId }))
    .mutation(({ ctx, input }) => testHostFence(input.hostId, ctx.user)),
});
