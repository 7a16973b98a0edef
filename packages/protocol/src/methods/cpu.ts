/**
 * CPU compatibility (issue 8): what CPU a host offers (its agent reports it with the host facts)
 * and what CPU a VM was given (its domain XML, asked of the agent of the VM's host), and the pure
 * rule deciding whether a VM may run on a host. Here, not in the manager, so the hypervisor's
 * tests can check the rule on captured capabilities XML.
 */
import { z } from 'zod';

const name = z.string().max(64);

/** The host's CPU, from libvirt's capabilities (`<host><cpu>`) and domain capabilities. */
export const hostCpuSchema = z.object({
  arch: z.string().max(32),
  vendor: z.string().max(64),
  model: z.string().max(255),
  /** Features the host has beyond its model (capabilities lists only those). */
  features: z.array(name).max(1024),
  /** Named CPU models this host's QEMU can give a guest (domcapabilities, usable='yes'). */
  usableModels: z.array(name).max(1024),
});
export type HostCpu = z.infer<typeof hostCpuSchema>;

/** The VM's `<cpu>`: 'default' when the domain has none (the hypervisor's default model). */
export const vmCpuSchema = z.object({
  mode: z.enum(['default', 'custom', 'host-model', 'host-passthrough', 'maximum']),
  /** The named model of a custom CPU. */
  model: name.optional(),
  /** Features the VM requires (policy require or force). */
  features: z.array(name).max(1024),
});
export type VmCpu = z.infer<typeof vmCpuSchema>;

export const cpuRequests = {
  /** The CPU the domain's XML gives it. */
  'vm.cpu': { params: z.object({ uuid: z.uuid() }), result: vmCpuSchema },
} as const;

export interface CpuVerdict {
  ok: boolean;
  reason: string;
}

function names(list: readonly string[]): string {
  return list.length <= 8 ? list.join(', ') : `${list.slice(0, 8).join(', ')} and ${list.length - 8} more`;
}

const offers = (host: HostCpu, model: string) => host.model === model || host.usableModels.includes(model);

/**
 * Whether `target` can run a VM with CPU `vm` that now runs on `source`, within the cluster's
 * `baseline` ('' none). A host that did not report its CPU (an older agent) is not refused: the
 * reason says it was not checked. host-passthrough and host-model give the guest the source's own
 * CPU, so the target must have that CPU: the same vendor and model and at least its features
 * (host-passthrough across differing hosts is refused).
 */
export function cpuCompatible(
  vm: VmCpu,
  target: HostCpu | null,
  baseline: string,
  source: HostCpu | null = null,
): CpuVerdict {
  if (!target) return { ok: true, reason: 'The host has not reported its CPU: not checked.' };
  const cpu = `${target.vendor} ${target.model}`.trim();
  if (baseline && !offers(target, baseline))
    return { ok: false, reason: `Its CPU (${cpu}) cannot offer the cluster's baseline CPU model ${baseline}.` };
  if (vm.mode === 'default')
    return { ok: true, reason: 'The VM uses the hypervisor’s default CPU model, which every host offers.' };
  if (vm.mode === 'custom') {
    const model = vm.model ?? '';
    if (model && !offers(target, model))
      return { ok: false, reason: `The VM’s CPU model ${model} is not one its CPU (${cpu}) can offer.` };
    const missing = vm.features.filter((f) => !target.features.includes(f));
    if (missing.length > 0 && model !== target.model)
      return { ok: false, reason: `Its CPU (${cpu}) lacks feature(s) the VM requires: ${names(missing)}.` };
    return { ok: true, reason: `Its CPU (${cpu}) offers the VM’s CPU model ${model || '(custom)'}.` };
  }
  // host-passthrough, maximum, host-model: the guest sees the source's CPU.
  if (!source) return { ok: true, reason: 'The VM’s host has not reported its CPU: not checked.' };
  const from = `${source.vendor} ${source.model}`.trim();
  if (source.vendor !== target.vendor)
    return { ok: false, reason: `The VM uses ${vm.mode}: it sees the CPU of its host (${from}), not ${cpu}.` };
  const sameModel = vm.mode === 'host-model' ? offers(target, source.model) : source.model === target.model;
  if (!sameModel)
    return {
      ok: false,
      reason: `The VM uses ${vm.mode}: it sees its host's CPU model ${source.model}, which ${cpu} ${vm.mode === 'host-model' ? 'cannot offer' : 'is not'}.`,
    };
  const missing = source.features.filter((f) => !target.features.includes(f));
  if (missing.length > 0)
    return {
      ok: false,
      reason: `The VM uses ${vm.mode}: its CPU (${cpu}) lacks feature(s) the VM sees on ${from}: ${names(missing)}.`,
    };
  return { ok: true, reason: `The VM uses ${vm.mode}: its CPU (${cpu}) has every feature of ${from}.` };
}
