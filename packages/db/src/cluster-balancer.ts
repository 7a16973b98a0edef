// The load balancer's shared state per cluster (issue 8): when it last checked and acted, and
// its last report, on the Cluster row so every manager sees the same. The periodic check is
// claimed by compare-and-set on balancerCheckedAt, so with several managers one checks per round.
import { getDb } from './client.ts';

export const BALANCE_TASK_KIND = 'cluster.balance';

export type BalancerState = {
  clusterId: string;
  clusterName: string;
  mode: string;
  checkedAt: Date | null;
  actedAt: Date | null;
  /** JSON written by services/balancer (null before the first run). */
  report: string | null;
};

const select = {
  id: true,
  name: true,
  balancerMode: true,
  balancerCheckedAt: true,
  balancerActedAt: true,
  balancerReport: true,
} as const;

function toState(r: {
  id: string;
  name: string;
  balancerMode: string;
  balancerCheckedAt: Date | null;
  balancerActedAt: Date | null;
  balancerReport: string | null;
}): BalancerState {
  return {
    clusterId: r.id,
    clusterName: r.name,
    mode: r.balancerMode,
    checkedAt: r.balancerCheckedAt,
    actedAt: r.balancerActedAt,
    report: r.balancerReport,
  };
}

export async function of(clusterId: string): Promise<BalancerState | null> {
  const r = await getDb().cluster.findUnique({ where: { id: clusterId }, select });
  return r && toState(r);
}

/** Clusters whose balancer checks by itself ('recommend' or 'automatic'). */
export async function active(): Promise<BalancerState[]> {
  const rows = await getDb().cluster.findMany({ where: { balancerMode: { in: ['recommend', 'automatic'] } }, select });
  return rows.map(toState);
}

/** Takes this round's check if nobody took it since `seen` (the value this manager read). */
export async function claimCheck(clusterId: string, seen: Date | null, now: Date): Promise<boolean> {
  const r = await getDb().cluster.updateMany({
    where: { id: clusterId, balancerCheckedAt: seen },
    data: { balancerCheckedAt: now },
  });
  return r.count === 1;
}

export async function setReport(clusterId: string, report: string, actedAt?: Date): Promise<void> {
  await getDb().cluster.updateMany({
    where: { id: clusterId },
    data: { balancerReport: report, ...(actedAt ? { balancerActedAt: actedAt } : {}) },
  });
}
