import { VireoError } from '@vireo/protocol';
import { issueConsoleTicket } from '../services/console-tickets.ts';
import { createVm, deleteVm, forceOffVm, listVmsFor, shutdownVm, startVm, vmView } from '../services/vm-service.ts';
import { z } from 'zod';
import { adoptVm } from '../services/vm-reconcile.ts';
import { hardwareView } from '../services/vm-hardware.ts';
import { objectHistory } from '../services/stats-history.ts';
import { statsRangeInput } from '../schemas/stats.ts';
import { rule } from '../services/permissions/rules.ts';
import { authedProcedure, router, vmProcedure } from '../trpc.ts';
import { vmLifecycleProcedures } from './vm-lifecycle.ts';
import { vmCloneProcedures } from './vm-clone.ts';
import { vmEditProcedures } from './vm-edit.ts';
import { vmDeviceProcedures } from './vm-devices.ts';
import { vmBootProcedures } from './vm-boot.ts';
import { vmMigrateProcedures } from './vm-migrate.ts';
import { vmLeaseProcedures } from './vm-lease.ts';
import { createVmInput, listVmsInput } from '../schemas/vm.ts';
import { hostNameShown } from '../services/permissions/visibility.ts';
import { fileNameOnly } from '../services/vm-lifecycle.ts';

export const vmRouter = router({
  /** One page ({ rows, total }), filtered and sorted by the database; see listVmsInput. */
  list: authedProcedure
    .meta(rule.list('vm'))
    .input(listVmsInput)
    .query(({ ctx, input }) => listVmsFor(ctx.user, input)),
  byId: vmProcedure.meta(rule.vm('view')).query(({ ctx }) => vmView(ctx.vm.id, ctx.user)),
  /** Firmware, disks and NICs (with MACs and, once networks are Vireo's, DHCP addresses). */
  // Disk paths name where a host keeps files: file names only for who may not view the host.
  hardware: vmProcedure.meta(rule.vm('view')).query(async ({ ctx }) => {
    const hw = await hardwareView(ctx.vm.id);
    if ((await hostNameShown(ctx.user))(ctx.vm.hostId)) return hw;
    return { ...hw, disks: hw.disks.map((d) => ({ ...d, path: fileNameOnly(d.path) })) };
  }),
  /** CPU, memory, disk and network I/O over a range (1h, 24h, 7d, 30d), oldest point first. */
  statsHistory: vmProcedure
    .meta(rule.vm('view'))
    .input(z.object({ range: statsRangeInput }))
    .query(({ ctx, input }) => objectHistory('vm', ctx.vm.id, input.range)),
  create: authedProcedure
    .meta(rule.signedIn)
    .input(createVmInput)
    .mutation(({ ctx, input }) => createVm(input, ctx.user)),
  start: vmProcedure.meta(rule.vm('operate')).mutation(({ ctx }) => startVm(ctx.vm, ctx.user)),
  shutdown: vmProcedure.meta(rule.vm('operate')).mutation(({ ctx }) => shutdownVm(ctx.vm, ctx.user)),
  forceOff: vmProcedure.meta(rule.vm('operate')).mutation(({ ctx }) => forceOffVm(ctx.vm, ctx.user)),
  /** `keepDisks`: keep the VM's own pool volumes (vm.deletePlan lists what goes and stays). */
  delete: vmProcedure
    .meta(rule.vm('delete'))
    .input(z.object({ keepDisks: z.boolean().optional() }))
    .mutation(({ ctx, input }) => deleteVm(ctx.vm, ctx.user, input)),
  ...vmLifecycleProcedures,
  ...vmCloneProcedures,
  ...vmEditProcedures,
  ...vmDeviceProcedures,
  ...vmBootProcedures,
  ...vmMigrateProcedures,
  ...vmLeaseProcedures,
  /**
   * Admins only: record the VM on another host that reports its domain (after a host was lost
   * and the VM was started elsewhere by hand). A host's own report never moves a VM.
   */
  adopt: vmProcedure
    .meta(rule.system('manage'))
    .input(z.object({ hostId: z.string().min(1).max(64) }))
    .mutation(({ ctx, input }) => adoptVm(ctx.vm, input.hostId, ctx.user)),
  /**
   * A short-lived, single-use ticket for the console WebSocket, bound to user, VM and session;
   * `kind` says which console it opens (the VNC screen by default, or the serial port).
   */
  consoleTicket: vmProcedure
    .meta(rule.vm('operate'))
    .input(z.object({ kind: z.enum(['vnc', 'serial']).default('vnc') }))
    .mutation(({ ctx, input }) => {
      if (!ctx.session)
        throw new VireoError('FORBIDDEN', 'A console opens in a browser session, not with an API token.');
      return issueConsoleTicket(ctx.vm, ctx.user, ctx.session.id, input.kind);
    }),
});
