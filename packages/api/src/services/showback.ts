/**
 * Showback (issue 10, docs/leases-showback.md): the metered usage per project over a period,
 * priced with the admins' prices, as table rows, a series over time and CSV. Admins see every
 * project and the VMs outside any ("No project"); other users the projects they own
 * (a project-scoped 'owner' binding, i.e. 'manage' on the project).
 */
import { NO_PROJECT_ID, type Prices, projects, type UsageBucketRow, usage } from '@vireo/db';
import { VireoError } from '@vireo/protocol';
import type { UserView } from '../views.ts';
import { csvLine } from './audit/csv.ts';
import { projectsWhere } from './permissions/visibility.ts';
import { can } from './permissions/can.ts';

const HOUR_MS = 3600_000;
const DAY_MS = 24 * HOUR_MS;

export type ShowbackRange = { from: Date; to: Date; step: 'hour' | 'day' };

export type UsageTotals = {
  vcpuHours: number;
  memoryGiBHours: number;
  diskGiBHours: number;
  /** vcpuHours × price + memoryGiBHours × price + diskGiBHours × price, in prices.currency. */
  cost: number;
};

export type ShowbackRow = { projectId: string; projectName: string } & UsageTotals;
export type ShowbackPoint = { at: Date } & UsageTotals;

export type ShowbackReport = {
  from: Date;
  to: Date;
  step: 'hour' | 'day';
  prices: Prices;
  rows: ShowbackRow[];
  total: UsageTotals;
  /** One point per step over [from, to), all shown projects together, oldest first. */
  series: ShowbackPoint[];
};

/** Hours of each unit from a bucket's seconds, priced. */
export function totals(
  b: Pick<UsageBucketRow, 'vcpuSeconds' | 'memoryMiBSeconds' | 'diskGiBSeconds'>,
  p: Prices,
): UsageTotals {
  const vcpuHours = b.vcpuSeconds / 3600;
  const memoryGiBHours = b.memoryMiBSeconds / 1024 / 3600;
  const diskGiBHours = b.diskGiBSeconds / 3600;
  return {
    vcpuHours,
    memoryGiBHours,
    diskGiBHours,
    cost: vcpuHours * p.vcpuHour + memoryGiBHours * p.memoryGiBHour + diskGiBHours * p.diskGiBHour,
  };
}

type Sum = Pick<UsageBucketRow, 'vcpuSeconds' | 'memoryMiBSeconds' | 'diskGiBSeconds'>;
const zero = (): Sum => ({ vcpuSeconds: 0, memoryMiBSeconds: 0, diskGiBSeconds: 0 });
function add(s: Sum, b: Sum): void {
  s.vcpuSeconds += b.vcpuSeconds;
  s.memoryMiBSeconds += b.memoryMiBSeconds;
  s.diskGiBSeconds += b.diskGiBSeconds;
}

/** The project ids this user's showback covers (those it manages); undefined: all. */
async function visibleProjectIds(user: Pick<UserView, 'id' | 'role'>): Promise<string[] | undefined> {
  const managed = await projectsWhere(user, 'manage');
  return 'all' in managed ? undefined : managed.ids;
}

/** Sums buckets into per-project rows and a series; pure, so the figures can be tested alone. */
export function summarise(
  buckets: readonly UsageBucketRow[],
  names: ReadonlyMap<string, string>,
  range: ShowbackRange,
  prices: Prices,
): Omit<ShowbackReport, 'from' | 'to' | 'step' | 'prices'> {
  const perProject = new Map<string, Sum>();
  const stepMs = range.step === 'hour' ? HOUR_MS : DAY_MS;
  const first = Math.floor(range.from.getTime() / stepMs) * stepMs;
  const slots: Sum[] = [];
  for (let t = first; t < range.to.getTime(); t += stepMs) slots.push(zero());
  const all = zero();
  for (const b of buckets) {
    const s = perProject.get(b.projectId) ?? zero();
    add(s, b);
    perProject.set(b.projectId, s);
    add(all, b);
    const slot = slots[Math.floor((b.hourStart.getTime() - first) / stepMs)];
    if (slot) add(slot, b);
  }
  const rows = [...perProject.entries()]
    .map(([projectId, s]) => ({
      projectId,
      projectName:
        projectId === NO_PROJECT_ID ? 'No project' : (names.get(projectId) ?? `(removed project ${projectId})`),
      ...totals(s, prices),
    }))
    .sort((a, b) => b.cost - a.cost || a.projectName.localeCompare(b.projectName));
  return {
    rows,
    total: totals(all, prices),
    series: slots.map((s, i) => ({ at: new Date(first + i * stepMs), ...totals(s, prices) })),
  };
}

export async function showbackReport(
  user: Pick<UserView, 'id' | 'role'>,
  range: ShowbackRange,
  projectId?: string,
): Promise<ShowbackReport> {
  const visible = await visibleProjectIds(user);
  if (projectId !== undefined && visible && !visible.includes(projectId)) {
    // A project the user sees but does not manage: say who reads its showback, not "missing".
    if (await can(user, 'view', { kind: 'project', id: projectId })) {
      throw new VireoError('FORBIDDEN', "A project's showback is for its owners and administrators.", {
        object: 'project',
      });
    }
    throw new VireoError('NOT_FOUND', 'No such project.', { object: 'project' });
  }
  const ids = projectId !== undefined ? [projectId] : visible;
  const [buckets, prices, list] = await Promise.all([
    usage.buckets({
      from: new Date(Math.floor(range.from.getTime() / HOUR_MS) * HOUR_MS),
      to: range.to,
      projectIds: ids,
    }),
    usage.prices(),
    projects.list(visible ? { ids: visible } : {}),
  ]);
  const names = new Map(list.map((p) => [p.id, p.name]));
  return { from: range.from, to: range.to, step: range.step, prices, ...summarise(buckets, names, range, prices) };
}

export const SHOWBACK_CSV_HEADER = [
  'project',
  'projectId',
  'from',
  'to',
  'vcpuHours',
  'memoryGiBHours',
  'diskGiBHours',
  'currency',
  'cost',
] as const;

const n = (v: number, digits: number) => v.toFixed(digits);

export function showbackCsv(r: ShowbackReport): string {
  const lines = [csvLine(SHOWBACK_CSV_HEADER)];
  for (const row of r.rows) {
    lines.push(
      csvLine([
        row.projectName,
        row.projectId,
        r.from,
        r.to,
        n(row.vcpuHours, 4),
        n(row.memoryGiBHours, 4),
        n(row.diskGiBHours, 4),
        r.prices.currency,
        n(row.cost, 2),
      ]),
    );
  }
  return lines.join('');
}
