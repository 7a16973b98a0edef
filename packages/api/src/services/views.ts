/** Loads API views from the repositories and publishes them on the bus. */
import { type EventInput, events, hosts, MAINTENANCE_STATES, tasks, vms } from '@vireo/db';
import type { EventView, HostView, TaskView, VmView } from '../views.ts';
import { publish } from './bus.ts';
import { domainCpuPercent, isHostConnected } from './agent-registry.ts';

type VmRow = NonNullable<Awaited<ReturnType<typeof vms.byId>>>;
type HostRow = NonNullable<Awaited<ReturnType<typeof hosts.byId>>>;

export function toVmView(vm: VmRow): VmView {
  return {
    id: vm.id,
    uuid: vm.uuid,
    name: vm.name,
    state: vm.state as VmView['state'],
    stateReason: vm.stateReason,
    vcpus: vm.vcpus,
    memoryMiB: vm.memoryMiB,
    hostId: vm.hostId,
    hostName: vm.hostName,
    hostStatus: (vm.hostStatus as VmView['hostStatus']) ?? null,
    templateName: vm.templateName,
    ownerId: vm.ownerId,
    ownerName: vm.ownerName,
    projectId: vm.projectId,
    projectName: vm.projectName,
    cpuUsagePercent: vm.state === 'running' ? domainCpuPercent(vm.uuid) : null,
    createdAt: vm.createdAt.toISOString(),
    startedAt: vm.state === 'running' || vm.state === 'paused' ? (vm.startedAt?.toISOString() ?? null) : null,
    tags: vm.tags,
    leaseExpiresAt: vm.leaseExpiresAt?.toISOString() ?? null,
  };
}

/** A VM as this viewer may see it: the host's name only for who may view that host. */
export function vmForViewer(view: VmView, showsHost: (hostId: string | null) => boolean): VmView {
  return showsHost(view.hostId) ? view : { ...view, hostName: null };
}

export function toHostView(host: HostRow): HostView {
  return {
    id: host.id,
    name: host.name,
    hostname: host.hostname,
    clusterName: host.clusterName,
    address: host.address,
    // A connection here is the truth; else the row, which the manager holding the host keeps
    // (and which the survivors correct within seconds when a manager dies: cluster.ts).
    status: isHostConnected(host.id) ? 'online' : (host.status as HostView['status']),
    cpuCount: host.cpuCount,
    cpuModel: host.cpuModel,
    cpuVendor: host.cpu?.vendor ?? '',
    cpuFeatures: host.cpu?.features ?? [],
    cpuUsagePercent: host.cpuUsagePercent,
    memoryBytes: host.memoryBytes,
    memoryFreeBytes: host.memoryFreeBytes,
    libvirtVersion: host.libvirtVersion,
    qemuVersion: host.qemuVersion,
    domainTypes: host.domainTypes,
    vmCount: host.vmCount,
    lastSeenAt: host.lastSeenAt?.toISOString() ?? null,
    managerId: host.status === 'online' ? host.managerId : null,
    maintenance: (MAINTENANCE_STATES as readonly string[]).includes(host.maintenance)
      ? (host.maintenance as HostView['maintenance'])
      : 'none',
    maintenanceBy: host.maintenanceBy,
    maintenanceAt: host.maintenanceAt?.toISOString() ?? null,
  };
}

export function toTaskView(task: NonNullable<Awaited<ReturnType<typeof tasks.byId>>>): TaskView {
  return {
    id: task.id,
    kind: task.kind,
    state: task.state as TaskView['state'],
    progress: task.progress,
    message: task.message,
    errorCode: task.errorCode,
    errorMessage: task.errorMessage,
    vmId: task.vmId,
    vmName: task.vmName,
    ownerId: task.ownerId,
    ownerName: task.ownerName,
    createdAt: task.createdAt.toISOString(),
    finishedAt: task.finishedAt?.toISOString() ?? null,
  };
}

export async function publishVm(vmId: string): Promise<void> {
  const vm = await vms.byId(vmId);
  if (vm) publish({ kind: 'vm', vm: toVmView(vm) });
}

export async function publishHost(hostId: string): Promise<void> {
  const host = await hosts.byId(hostId);
  if (host) publish({ kind: 'host', host: toHostView(host) });
}

export async function publishTask(taskId: string): Promise<void> {
  const task = await tasks.byId(taskId);
  if (task) publish({ kind: 'task', task: toTaskView(task) });
}

/**
 * Records an event and shows it live (the VM page's events, the admins' event log): the one way
 * a user-facing event is written, so none is left for the next reload.
 */
export async function recordEvent(input: EventInput): Promise<EventView> {
  const view = toEventView(await events.add(input));
  publish({ kind: 'event', event: view });
  return view;
}

export function toEventView(event: Awaited<ReturnType<typeof events.listRecent>>[number]): EventView {
  return {
    id: event.id,
    at: event.at.toISOString(),
    severity: event.severity as EventView['severity'],
    kind: event.kind,
    message: event.message,
    vmId: event.vmId,
    hostId: event.hostId,
  };
}
