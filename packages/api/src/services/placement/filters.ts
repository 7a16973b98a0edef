/**
 * Placement filters: each says why a host cannot take the VM, or null if it can. They run in
 * order and the first refusal is the host's reason, so cheap and obvious ones come first.
 */
import { cpuCompatible } from '@vireo/protocol';
import type { FilterName, HostSnapshot, PlacementRequest, PlacementSnapshot } from './types.ts';

export type FilterContext = {
  request: PlacementRequest;
  snapshot: PlacementSnapshot;
  /** Memory left on each host for VMs, the moving VM's own share given back. */
  freeMiB: Map<string, number>;
};

type Filter = { name: FilterName; refuse: (host: HostSnapshot, ctx: FilterContext) => string | null };

/** Memory left on the host for VMs, not counting the VM being moved (it would be counted twice). */
export function freeMiBOf(host: HostSnapshot, reserveMiB: number, vmId: string | undefined): number {
  const committed = host.allocations.reduce((n, a) => n + (vmId && a.vmId === vmId ? 0 : a.memoryMiB), 0);
  return host.memoryMiB - reserveMiB - committed;
}

/** Names of the group's members (other than the VM being placed) on each host. */
export function membersByHost(
  group: PlacementSnapshot['groups'][number],
  vmId: string | undefined,
): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const m of group.members) {
    if (m.vmId === vmId || m.hostId === null) continue;
    out.set(m.hostId, [...(out.get(m.hostId) ?? []), m.vmName]);
  }
  return out;
}

function groupsOf(ctx: FilterContext): PlacementSnapshot['groups'] {
  const ids = new Set(ctx.request.groupIds ?? []);
  return ctx.snapshot.groups.filter((g) => ids.has(g.id));
}

function listNames(names: readonly string[]): string {
  return names.length <= 3 ? names.join(', ') : `${names.slice(0, 3).join(', ')} and ${names.length - 3} more`;
}

/** A group's VM-to-host rule, if it has one: anti-affinity keeps off its hosts, affinity keeps to them. */
function hostRuleRefusal(group: PlacementSnapshot['groups'][number], host: HostSnapshot, ctx: FilterContext) {
  if (group.hostIds.length === 0) return null;
  const listed = group.hostIds.includes(host.id);
  if (group.kind === 'anti-affinity')
    return listed ? `anti-affinity group ${group.name}: its VMs keep off this host` : null;
  if (listed) return null;
  const names = group.hostIds.map((id) => ctx.snapshot.hosts.find((h) => h.id === id)?.name ?? id);
  return `affinity group ${group.name}: its VMs go only to ${listNames(names)}`;
}

/** Hard affinity rules: anti-affinity keeps members apart, affinity keeps them together. */
function affinityRefusal(host: HostSnapshot, ctx: FilterContext): string | null {
  for (const group of groupsOf(ctx)) {
    if (!group.hard) continue;
    const byRule = hostRuleRefusal(group, host, ctx);
    if (byRule) return byRule;
    const byHost = membersByHost(group, ctx.request.vmId);
    if (group.kind === 'anti-affinity') {
      const here = byHost.get(host.id);
      if (here) return `anti-affinity group ${group.name}: ${listNames(here)} ${here.length > 1 ? 'run' : 'runs'} here`;
    } else if (byHost.size > 0 && !byHost.has(host.id)) {
      const where = [...byHost.entries()].map(([hostId, names]) => {
        const name = ctx.snapshot.hosts.find((h) => h.id === hostId)?.name ?? hostId;
        return `${listNames(names)} on ${name}`;
      });
      return `affinity group ${group.name}: its members run elsewhere (${where.join('; ')})`;
    }
  }
  return null;
}

export const FILTERS: readonly Filter[] = [
  { name: 'online', refuse: (h) => (h.status === 'online' ? null : `the host is ${h.status}`) },
  { name: 'maintenance', refuse: (h) => (h.maintenance ? 'the host is in maintenance mode' : null) },
  {
    name: 'excluded',
    refuse: (h, ctx) => (ctx.request.excludeHostIds?.includes(h.id) ? 'left out by the caller' : null),
  },
  {
    name: 'cluster',
    refuse: (h, ctx) => {
      const wanted = ctx.request.clusterId;
      if (!wanted || h.clusterId === wanted) return null;
      const wantedName = ctx.snapshot.hosts.find((o) => o.clusterId === wanted)?.clusterName ?? wanted;
      return `in cluster ${h.clusterName}, not the requested ${wantedName}`;
    },
  },
  {
    name: 'hypervisor',
    refuse: (h, ctx) => {
      if (h.domainTypes.length === 0) return 'the host reports no domain type it can run';
      const wanted = ctx.request.domainType;
      if (!wanted || h.domainTypes.includes(wanted)) return null;
      return `runs ${h.domainTypes.join(', ')}, not ${wanted}`;
    },
  },
  {
    name: 'networks',
    refuse: (h, ctx) =>
      !ctx.request.allowedHostIds || ctx.request.allowedHostIds.has(h.id)
        ? null
        : 'lacks one of the networks of the VM’s network cards',
  },
  {
    name: 'cpu',
    refuse: (h, ctx) => {
      const cpu = ctx.request.cpu;
      if (!cpu) return null;
      const verdict = cpuCompatible(cpu.vm, h.cpu ?? null, h.cpuBaseline ?? '', cpu.source);
      return verdict.ok ? null : verdict.reason;
    },
  },
  { name: 'affinity', refuse: affinityRefusal },
  {
    name: 'memory',
    refuse: (h, ctx) => {
      const free = ctx.freeMiB.get(h.id) ?? 0;
      if (free >= ctx.request.memoryMiB) return null;
      return `needs ${ctx.request.memoryMiB} MiB, ${Math.max(0, free)} MiB free`;
    },
  },
];

/** The first filter that refuses the host, or null if it may take the VM. */
export function firstRefusal(host: HostSnapshot, ctx: FilterContext): { filter: FilterName; reason: string } | null {
  for (const f of FILTERS) {
    const reason = f.refuse(host, ctx);
    if (reason !== null) return { filter: f.name, reason };
  }
  return null;
}
