/**
 * The dry run of a bulk action: for each VM, whether it will be acted on and what happens, or why
 * it is skipped. Pure (no I/O), so the run re-plans with the same rules the dry run showed.
 */
import type { VmState } from '../views.ts';
import type { Action } from './permissions/policy.ts';

/** What a bulk job can do. */
export const BULK_ACTIONS = ['start', 'shutdown', 'forceOff', 'snapshot', 'delete', 'tag', 'untag'] as const;
export type BulkAction = (typeof BULK_ACTIONS)[number];

/** Actions that remove or cut power without asking the guest: the UI asks for the count typed. */
export const DESTRUCTIVE_ACTIONS: readonly BulkAction[] = ['delete', 'forceOff'];

export type PlanVm = {
  id: string;
  name: string;
  state: VmState;
  hostStatus: string | null;
  tags: readonly string[];
  /** false: the caller's role does not allow the action on this VM (BULK_PERMISSION, asked with can()). */
  allowed?: boolean;
};

/** The permission each bulk action needs on every VM it acts on. */
export const BULK_PERMISSION: Record<BulkAction, Action> = {
  start: 'operate',
  shutdown: 'operate',
  forceOff: 'operate',
  snapshot: 'operate',
  delete: 'delete',
  tag: 'edit',
  untag: 'edit',
};

export type PlanItem = { vmId: string; vmName: string; outcome: 'run' | 'skip'; message: string };

/** States in which each power action is allowed (as vm-service checks them). */
const ALLOWED: Record<'start' | 'shutdown' | 'forceOff' | 'snapshot' | 'delete', readonly VmState[]> = {
  start: ['shutoff', 'crashed'],
  shutdown: ['running', 'paused', 'shutdown'],
  forceOff: ['running', 'paused', 'shutdown', 'crashed', 'pmsuspended', 'unknown'],
  // Running or paused: with memory; shut off: disk only (libvirt's internal snapshots allow no other).
  snapshot: ['running', 'paused', 'shutoff'],
  delete: ['shutoff', 'crashed', 'unknown'],
};

const WHAT: Record<Exclude<BulkAction, 'snapshot'>, (tag: string) => string> = {
  start: () => 'will be started',
  shutdown: () => 'will be shut down (ACPI, then wait for the guest)',
  forceOff: () => 'will be powered off at once (no guest shutdown)',
  delete: () => 'will be deleted with its disks',
  tag: (tag) => `will get tag "${tag}"`,
  untag: (tag) => `will lose tag "${tag}"`,
};

function skipReason(action: BulkAction, vm: PlanVm, tag: string): string | null {
  // First: nothing else matters when the run would refuse it anyway.
  if (vm.allowed === false) return `your role does not allow ${BULK_PERMISSION[action]} on it`;
  if (action === 'tag') return vm.tags.includes(tag) ? `already has tag "${tag}"` : null;
  if (action === 'untag') return vm.tags.includes(tag) ? null : `has no tag "${tag}"`;
  if (vm.state === 'creating' || vm.state === 'deleting') return `busy (${vm.state})`;
  if (action === 'start' && vm.state === 'running') return 'already running';
  if ((action === 'shutdown' || action === 'forceOff') && vm.state === 'shutoff') return 'already off';
  if (action === 'delete' && vm.state === 'running') return 'running: shut it down first';
  if (!ALLOWED[action].includes(vm.state)) return `cannot ${verb(action)} while ${vm.state}`;
  if (vm.hostStatus !== 'online') return vm.hostStatus ? `its host is ${vm.hostStatus}` : 'it has no host';
  return null;
}

function verb(action: BulkAction): string {
  return action === 'forceOff' ? 'force off' : action === 'shutdown' ? 'shut down' : action;
}

function what(action: BulkAction, vm: PlanVm, tag: string): string {
  if (action !== 'snapshot') return WHAT[action](tag);
  return vm.state === 'shutoff'
    ? 'will get a disk-only snapshot'
    : 'will get a snapshot with memory (it keeps running)';
}

/** Whether a bulk snapshot of a VM in this state includes memory (running or paused) or not. */
export const snapshotWithMemory = (state: VmState): boolean => state !== 'shutoff';

export function planOne(action: BulkAction, vm: PlanVm, tag = ''): PlanItem {
  const reason = skipReason(action, vm, tag);
  return reason
    ? { vmId: vm.id, vmName: vm.name, outcome: 'skip', message: `Skipped: ${reason}` }
    : { vmId: vm.id, vmName: vm.name, outcome: 'run', message: what(action, vm, tag) };
}

export type BulkPlan = { action: BulkAction; tag: string | null; items: PlanItem[]; run: number; skip: number };

export function planBulk(action: BulkAction, vms: readonly PlanVm[], tag?: string): BulkPlan {
  const items = vms.map((vm) => planOne(action, vm, tag ?? ''));
  const run = items.filter((i) => i.outcome === 'run').length;
  return { action, tag: tag ?? null, items, run, skip: items.length - run };
}
