/**
 * Showback metering (issue 10, docs/leases-showback.md): every VIREO_METER_TICK_S each manager
 * tries to add the interval since the cursor (usage.meteredUntil) to hourly buckets per project;
 * the cursor moves in the same transaction as the additions, only where it still stands where
 * this manager read it, so every interval is counted once however many managers run.
 * What counts: vCPUs and memory while the VM runs (running, paused, shutting down: its QEMU
 * process holds them); its own disks' allocated size while the VM exists, whatever its state.
 */
import { NO_PROJECT_ID, type UsageAdd, type VmAllocation, usage } from '@vireo/db';
import { managerEnv } from '../env.ts';

const HOUR_MS = 3600_000;
const GIB = 1024 ** 3;
/**
 * The longest interval one step counts. After a longer gap (every manager down) the VMs' states
 * in between are unknown: only the last MAX_STEP_MS is counted, the rest is skipped.
 */
export const MAX_STEP_MS = 5 * 60_000;

const HOLDS_CPU = new Set(['running', 'paused', 'shutdown', 'pmsuspended']);

let timer: NodeJS.Timeout | undefined;

export function startMetering(): void {
  if (timer) return;
  timer = setInterval(() => {
    meterStep(new Date()).catch((err) => console.error('[showback] metering failed:', err));
  }, managerEnv().VIREO_METER_TICK_S * 1000);
  timer.unref();
}

/**
 * The usage of these VMs over [from, to), split at hour boundaries into one addition per
 * project and hour (VMs outside any project under NO_PROJECT_ID).
 */
export function intervalUsage(from: Date, to: Date, vmsNow: readonly VmAllocation[]): UsageAdd[] {
  const out = new Map<string, UsageAdd>();
  let t = from.getTime();
  const end = to.getTime();
  while (t < end) {
    const hourStart = Math.floor(t / HOUR_MS) * HOUR_MS;
    const sliceEnd = Math.min(end, hourStart + HOUR_MS);
    const seconds = (sliceEnd - t) / 1000;
    for (const vm of vmsNow) {
      const projectId = vm.projectId ?? NO_PROJECT_ID;
      const key = `${projectId}\u0000${hourStart}`;
      let a = out.get(key);
      if (!a) {
        a = { projectId, hourStart: new Date(hourStart), vcpuSeconds: 0, memoryMiBSeconds: 0, diskGiBSeconds: 0 };
        out.set(key, a);
      }
      if (HOLDS_CPU.has(vm.state)) {
        a.vcpuSeconds += vm.vcpus * seconds;
        a.memoryMiBSeconds += vm.memoryMiB * seconds;
      }
      a.diskGiBSeconds += (Number(vm.diskBytes) / GIB) * seconds;
    }
    t = sliceEnd;
  }
  return [...out.values()];
}

/**
 * One metering step at `at`: counts [cursor, at) with the VMs as they are now. Returns the
 * seconds counted (0 when another manager took the interval, or on the very first step, which
 * only starts the cursor).
 */
export async function meterStep(at: Date): Promise<number> {
  const from = await usage.meteredUntil();
  if (!from) {
    await usage.startCursor(at);
    return 0;
  }
  if (at.getTime() <= from.getTime()) return 0;
  const countFrom = new Date(Math.max(from.getTime(), at.getTime() - MAX_STEP_MS));
  const adds = intervalUsage(countFrom, at, await usage.allocations());
  if (!(await usage.addInterval(from, at, adds))) return 0;
  return (at.getTime() - countFrom.getTime()) / 1000;
}
