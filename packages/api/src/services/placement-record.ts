/** Placement decisions as kept with the tasks that placed VMs (JSON on Task.placement). */
import { tasks } from '@vireo/db';
import type { PlacementDecision } from './placement/types.ts';

export async function placementOfVm(vmId: string): Promise<(PlacementDecision & { taskId: string }) | null> {
  const row = await tasks.latestPlacement(vmId);
  if (!row) return null;
  try {
    return { ...(JSON.parse(row.placement) as PlacementDecision), taskId: row.taskId };
  } catch {
    return null; // a record this version cannot read is no answer, not an error on the VM page
  }
}
