/**
 * Lifecycle verbs beyond start, shutdown and force off: each answers with the domain as libvirt
 * has it once the verb is done (reboot returns once the guest was asked: it reboots in its time).
 */
import { z } from 'zod';
import { domainInfoSchema } from '../messages.ts';
import { uuidSchema } from '../names.ts';

const vmRef = z.object({ uuid: uuidSchema });
// Lazy: messages.ts spreads these requests, so its schemas are not defined yet when this file runs.
const domainResult = z.object({ domain: z.lazy(() => domainInfoSchema) });

export const vmLifecycleRequests = {
  /** ACPI reboot request: the guest reboots when it handles the power event. */
  'vm.reboot': { params: vmRef, result: domainResult },
  /** Hard reset, like a reset button: the guest gets no say. */
  'vm.reset': { params: vmRef, result: domainResult },
  'vm.pause': { params: vmRef, result: domainResult },
  'vm.resume': { params: vmRef, result: domainResult },
  /** Suspend to disk: libvirt's managed save; the next start restores it. */
  'vm.save': { params: vmRef, result: domainResult.extend({ managedSave: z.boolean() }) },
  /** Start with the vCPUs paused (a saved VM is restored, paused). */
  'vm.startPaused': { params: vmRef, result: domainResult },
} as const;
