/**
 * Reads the placement snapshot from the database: every host, the memory each has promised,
 * and the affinity groups. Shared state only, so any manager decides the same way.
 *
 * Memory promised on a host: each domain it reports at its maximum (so `virsh setmaxmem`
 * counts, and domains Vireo does not manage count too), plus Vireo VMs of the host it does not
 * define yet. Counting defined domains, not only running ones, means a VM placed here can always
 * be started here.
 */
import { affinityGroups, clusters, hostDomains, hosts, vmMigrations, vms } from '@vireo/db';
import { managerEnv } from '../../env.ts';
import type { AffinityGroupSnapshot, Allocation, HostSnapshot, PlacementSnapshot } from './types.ts';

const MIB = 1024 * 1024;

export async function loadSnapshot(): Promise<PlacementSnapshot> {
  const all = await hosts.list();
  // Narrow (no names, owners or templates): with 10,000 VMs the full list made every create slow.
  const rows = await vms.allocations();
  const reported = await hostDomains.onHosts(all.map((h) => h.id));
  const vmIdByUuid = new Map(rows.map((r) => [r.uuid, r.id]));
  const allocations = new Map<string, Allocation[]>();
  const add = (hostId: string, a: Allocation) => allocations.set(hostId, [...(allocations.get(hostId) ?? []), a]);
  const defined = new Set<string>();
  for (const d of reported) {
    defined.add(`${d.hostId}/${d.uuid}`);
    add(d.hostId, {
      vmId: vmIdByUuid.get(d.uuid) ?? null,
      vmName: d.name,
      memoryMiB: Math.max(d.memoryMiB, d.maxMemoryMiB ?? 0),
    });
  }
  for (const r of rows) {
    if (!defined.has(`${r.hostId}/${r.uuid}`)) add(r.hostId, { vmId: r.id, vmName: null, memoryMiB: r.memoryMiB });
  }
  const baselines = new Map<string, string>();
  for (const clusterId of new Set(all.map((h) => h.clusterId)))
    baselines.set(clusterId, (await clusters.policies(clusterId))?.cpuBaseline ?? '');
  const hostSnapshots: HostSnapshot[] = all.map((h) => ({
    id: h.id,
    name: h.name,
    clusterId: h.clusterId,
    clusterName: h.clusterName,
    status: h.status,
    // 'entering' too: a host being emptied must not take new VMs meanwhile.
    maintenance: h.maintenance !== 'none',
    domainTypes: h.domainTypes,
    memoryMiB: Math.floor(h.memoryBytes / MIB),
    cpuUsagePercent: h.cpuUsagePercent,
    allocations: allocations.get(h.id) ?? [],
    cpu: h.cpu,
    cpuBaseline: baselines.get(h.clusterId) ?? '',
  }));
  const moving = await vmMigrations.destinations();
  const groups: AffinityGroupSnapshot[] = (await affinityGroups.list()).map((g) => ({
    id: g.id,
    name: g.name,
    kind: g.kind,
    hard: g.hard,
    // A member being migrated counts on its destination too: two moves decided one after the
    // other must not both pick the host an anti-affinity partner is already going to.
    members: g.members.flatMap((m) => {
      const member = { vmId: m.vmId, vmName: m.vmName, hostId: m.hostId };
      const to = moving.get(m.vmId);
      return to && to !== m.hostId ? [member, { ...member, hostId: to }] : [member];
    }),
    hostIds: g.hosts.map((h) => h.hostId),
  }));
  return { hosts: hostSnapshots, groups, reserveMiB: managerEnv().VIREO_HOST_RESERVED_MIB };
}
