import { getDb } from './client.ts';
import type { EventSeverity } from './enums.ts';
import type { Prisma } from './generated/client.ts';

export type EventView = {
  id: string;
  at: Date;
  severity: EventSeverity;
  kind: string;
  message: string;
  vmId: string | null;
  hostId: string | null;
  userId: string | null;
};

export type EventInput = {
  severity: EventSeverity;
  /** e.g. 'vm.state', 'host.connected'. */
  kind: string;
  message: string;
  vmId?: string | null;
  hostId?: string | null;
  userId?: string | null;
  at?: Date;
};

const eventSelect = {
  id: true,
  at: true,
  severity: true,
  kind: true,
  message: true,
  vmId: true,
  hostId: true,
  userId: true,
} satisfies Prisma.EventSelect;

function toView(row: Prisma.EventGetPayload<{ select: typeof eventSelect }>): EventView {
  return { ...row, severity: row.severity as EventSeverity };
}

export async function add(input: EventInput): Promise<EventView> {
  return toView(await getDb().event.create({ data: input, select: eventSelect }));
}

/** Newest first. */
export async function listRecent(
  filter: { limit?: number; vmId?: string; hostId?: string } = {},
): Promise<EventView[]> {
  const rows = await getDb().event.findMany({
    where: { vmId: filter.vmId, hostId: filter.hostId },
    select: eventSelect,
    orderBy: [{ at: 'desc' }, { id: 'desc' }],
    take: filter.limit ?? 100,
  });
  return rows.map(toView);
}

/** Records many events in one statement (a batch of host reports). Returns how many. */
export async function addMany(inputs: readonly EventInput[]): Promise<number> {
  if (inputs.length === 0) return 0;
  return (await getDb().event.createMany({ data: [...inputs] })).count;
}
