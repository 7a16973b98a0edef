/**
 * High availability (issue 9), the agent's side of it.
 *
 * - Storage heartbeat: every agent writes `<vmStorageDir>/.vireo-ha/<libvirtHostUuid>.hb` (the
 *   storage HA VMs' disks live on) every `intervalMs`, and reads its peers' files. What it reads
 *   goes to the manager as `ha` messages (messages.ts): "the other hosts' view" of each host.
 * - Self-fencing: when its own writes have failed for `selfFenceAfterMs`, the agent forces off
 *   the running domains of `haVmUuids` (a partitioned host must not keep writing their disks).
 * - Stale copies: `ha.forget` removes a returning host's shut-off definition of a VM that was
 *   restarted elsewhere meanwhile (the manager asks, services/ha/stale-copies.ts).
 * - Restart: `ha.restart` defines a VM from the copy of its domain XML the agent that ran it
 *   keeps beside its disk (`<vmStorageDir>/<uuid>.domain.xml`) and starts it. libvirt's lock
 *   manager (virtlockd) refuses the start while another host still holds the VM's disks.
 */
import { z } from 'zod';
import { domainInfoSchema } from '../messages.ts';
import { uuidSchema } from '../names.ts';

export const haConfigureParamsSchema = z.object({
  intervalMs: z.number().int().min(500).max(60_000),
  selfFenceAfterMs: z.number().int().min(2_000).max(600_000),
  /** The HA VMs this host may run: the ones it forces off when it self-fences. */
  haVmUuids: z.array(uuidSchema).max(10_000),
});
export type HaConfigureParams = z.infer<typeof haConfigureParamsSchema>;

export const haRestartParamsSchema = z.object({ uuid: uuidSchema });
// Lazy: messages.ts spreads these requests, so its schemas are not defined yet when this file runs.
export const haRestartResultSchema = z.object({
  domain: z.lazy(() => domainInfoSchema),
  /** The domain already ran here (a re-sent request): nothing was started. */
  alreadyRunning: z.boolean(),
});

export const haForgetParamsSchema = z.object({ uuid: uuidSchema });
export const haForgetResultSchema = z.object({
  /** False when this host had no definition of it (already gone): nothing to do. */
  removed: z.boolean(),
});

export const haRequests = {
  /** Sent on connect and whenever the HA VMs or the cluster's HA settings change; persisted by the agent. */
  'ha.configure': { params: haConfigureParamsSchema, result: z.object({}) },
  /**
   * Defines and starts the VM here from its shared domain XML copy. Errors: NOT_FOUND (no copy),
   * CONFLICT with `details.locked: true` when the lock manager refuses (another host holds its
   * disks; the definition made by this call is removed again).
   */
  'ha.restart': { params: haRestartParamsSchema, result: haRestartResultSchema },
  /**
   * Removes this host's shut-off definition of a VM that HA restarted on another host while this
   * one was fenced (libvirt keeps a definition across a power cut). Files stay: the disks, the
   * NVRAM and the shared definition copy are the running VM's. INVALID_STATE if it runs here.
   */
  'ha.forget': { params: haForgetParamsSchema, result: haForgetResultSchema },
};
