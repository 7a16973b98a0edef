import { startBalancer } from './balancer/service.ts';
import { connectBus } from './bus.ts';
import { joinCluster } from './cluster.ts';
import { startHaMonitor } from './ha/monitor.ts';
import { ensureDefaultNetworks } from './networks.ts';
import { startSnapshotScheduler } from './snapshot-schedule.ts';
import { startUploadSweep } from './sweeps.ts';
import { startLeaseSweep } from './lease-sweep.ts';
import { startMetering } from './showback-meter.ts';

/**
 * Start-up: join the change bus (PostgreSQL: shared with the other managers), then the cluster
 * of managers: what this manager's previous run left (hosts it held go offline until their
 * agents reconnect, its tasks fail, VMs it was creating or deleting become "unknown" until their
 * host's full state settles them) and what dead managers left. Live managers' hosts and tasks
 * are never touched (cluster.ts).
 */
export async function reconcileOnStart(): Promise<{ tasksFailed: number }> {
  await connectBus();
  const joined = await joinCluster();
  await ensureDefaultNetworks();
  startSnapshotScheduler();
  startUploadSweep();
  startLeaseSweep();
  startMetering();
  startBalancer();
  startHaMonitor();
  return joined;
}
