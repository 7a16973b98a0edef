// A finished migration: the VM's host, its state and its task's success change together, so no
// reader (another manager, a host's report) ever sees the task done with the VM still on its old
// host, or the VM moved while its task still runs.
import { getDb } from './client.ts';
import { UNFINISHED_TASK_STATES } from './enums.ts';

export const MIGRATE_TASK_KIND = 'vm.migrate';

export async function finish(input: {
  vmId: string;
  uuid: string;
  /** The source: its agent undefined the domain there, so its report of it is dropped now. */
  fromHostId: string;
  hostId: string;
  taskId: string;
  state: string;
  reason: string | null;
  message: string;
  event: { severity: string; kind: string; message: string };
  /** Block migration: the copied disks (by position) now are these volumes on the destination. */
  disks?: { position: number; pool: string; volume: string; path: string }[] | undefined;
}): Promise<void> {
  const now = new Date();
  await getDb().$transaction([
    getDb().vm.update({
      where: { id: input.vmId },
      data: { hostId: input.hostId, state: input.state, stateReason: input.reason },
      select: { id: true },
    }),
    getDb().task.updateMany({
      where: { id: input.taskId, state: { in: [...UNFINISHED_TASK_STATES] } },
      data: { state: 'succeeded', progress: 100, finishedAt: now, message: input.message },
    }),
    // Otherwise the source's row would stand until its next full state (libvirt sends no event
    // for every way a migration undefines the source), and a delete meanwhile sees a conflict.
    getDb().hostDomain.deleteMany({ where: { hostId: input.fromHostId, uuid: input.uuid } }),
    getDb().event.create({
      data: { ...input.event, vmId: input.vmId, hostId: input.hostId },
      select: { id: true },
    }),
    ...(input.disks ?? []).map((d) =>
      getDb().vmDisk.updateMany({
        where: { vmId: input.vmId, position: d.position },
        data: { pool: d.pool, volume: d.volume, path: d.path },
      }),
    ),
  ]);
}

/** The host an unfinished migration of this VM is moving it to, if one is running (any manager's). */
export async function destinationOf(vmId: string): Promise<string | null> {
  const task = await getDb().task.findFirst({
    where: { vmId, kind: MIGRATE_TASK_KIND, state: { in: [...UNFINISHED_TASK_STATES] } },
    select: { hostId: true },
  });
  return task?.hostId ?? null;
}

/** Where each VM with an unfinished migration (any manager's) is going: vmId → destination host id. */
export async function destinations(): Promise<Map<string, string>> {
  const rows = await getDb().task.findMany({
    where: { kind: MIGRATE_TASK_KIND, state: { in: [...UNFINISHED_TASK_STATES] }, vmId: { not: null } },
    select: { vmId: true, hostId: true },
  });
  const out = new Map<string, string>();
  for (const r of rows) if (r.vmId && r.hostId) out.set(r.vmId, r.hostId);
  return out;
}
