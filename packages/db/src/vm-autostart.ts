/** A VM's autostart settings: whether, in what order and with what delay it starts with its host. */
import { getDb } from './client.ts';
import { mapDbErrors } from './errors.ts';

export interface AutostartSettings {
  autostart: boolean;
  /** Lower starts first; ties by name. */
  order: number;
  /** Seconds to wait after starting this VM before the next one. */
  delayS: number;
}

export interface AutostartVm extends AutostartSettings {
  id: string;
  uuid: string;
  name: string;
  state: string;
  hostId: string | null;
  hostName: string | null;
  ownerId: string;
}

const select = {
  id: true,
  uuid: true,
  name: true,
  state: true,
  hostId: true,
  ownerId: true,
  autostart: true,
  autostartOrder: true,
  autostartDelayS: true,
  host: { select: { name: true } },
} as const;

type Row = {
  id: string;
  uuid: string;
  name: string;
  state: string;
  hostId: string | null;
  ownerId: string;
  autostart: boolean;
  autostartOrder: number;
  autostartDelayS: number;
  host: { name: string } | null;
};

const toView = (r: Row): AutostartVm => ({
  id: r.id,
  uuid: r.uuid,
  name: r.name,
  state: r.state,
  hostId: r.hostId,
  hostName: r.host?.name ?? null,
  ownerId: r.ownerId,
  autostart: r.autostart,
  order: r.autostartOrder,
  delayS: r.autostartDelayS,
});

export async function ofVm(vmId: string): Promise<AutostartVm | null> {
  const row = await getDb().vm.findUnique({ where: { id: vmId }, select });
  return row ? toView(row) : null;
}

export async function set(vmId: string, s: AutostartSettings): Promise<void> {
  await mapDbErrors(() =>
    getDb().vm.update({
      where: { id: vmId },
      data: { autostart: s.autostart, autostartOrder: s.order, autostartDelayS: s.delayS },
      select: { id: true },
    }),
  );
}

/** The host's autostart VMs in start order (order, then name). */
export async function onHost(hostId: string): Promise<AutostartVm[]> {
  const rows = await getDb().vm.findMany({
    where: { hostId, autostart: true },
    select,
    orderBy: [{ autostartOrder: 'asc' }, { name: 'asc' }],
  });
  return rows.map(toView);
}
