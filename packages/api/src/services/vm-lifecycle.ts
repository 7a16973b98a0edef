/**
 * Lifecycle verbs beyond start, shutdown, force off and delete: reboot, reset, pause/resume,
 * suspend to disk (libvirt's managed save), start paused, and what a delete takes and leaves.
 * Each runs as a VM task like the others (vm-service.ts); the state comes from the host's answer.
 */
import { VireoError } from '@vireo/protocol';
import { templates, vmHardware } from '@vireo/db';
import type { AgentMethod } from '@vireo/protocol';
import type { UserView } from '../views.ts';
import type { VmRecord } from './vm-access.ts';
import { applyDomain, prepare, runVmTask } from './vm-service.ts';
import { refuseIfInMaintenance } from './host-maintenance-guard.ts';

type VerbMethod = Extract<AgentMethod, 'vm.reboot' | 'vm.reset' | 'vm.pause' | 'vm.resume' | 'vm.startPaused'>;

interface Verb {
  method: VerbMethod;
  /** VM states (Vireo's inventory) in which the verb makes sense. */
  allowed: readonly string[];
  words: string;
  done: string;
}

const VERBS = {
  reboot: { method: 'vm.reboot', allowed: ['running'], words: 'reboot', done: 'Asked the guest to reboot' },
  reset: { method: 'vm.reset', allowed: ['running', 'paused', 'pmsuspended'], words: 'reset', done: 'Reset' },
  pause: { method: 'vm.pause', allowed: ['running'], words: 'pause', done: 'Paused' },
  resume: { method: 'vm.resume', allowed: ['paused', 'pmsuspended'], words: 'resume', done: 'Resumed' },
  startPaused: {
    method: 'vm.startPaused',
    allowed: ['shutoff', 'crashed'],
    words: 'start',
    done: 'Started with its vCPUs paused',
  },
} as const satisfies Record<string, Verb>;

export type LifecycleVerb = keyof typeof VERBS;

export async function runLifecycleVerb(verb: LifecycleVerb, vm: VmRecord, user: UserView): Promise<{ taskId: string }> {
  const v: Verb = VERBS[verb];
  const agent = await prepare(vm, v.allowed, v.words);
  if (verb === 'startPaused') await refuseIfInMaintenance(vm.hostId, `start VM ${vm.name}`);
  const taskId = await runVmTask(vm, v.method, user, async () => {
    const { domain } = await agent.request(v.method, { uuid: vm.uuid });
    await applyDomain(vm, domain);
    return v.done;
  });
  return { taskId };
}

/** Suspend to disk: memory goes to libvirt's managed save file; the next start restores it. */
export async function saveVm(vm: VmRecord, user: UserView): Promise<{ taskId: string }> {
  const agent = await prepare(vm, ['running', 'paused'], 'save to disk');
  const taskId = await runVmTask(vm, 'vm.save', user, async (progress) => {
    progress(10, 'Writing the guest’s memory to disk');
    const { domain, managedSave } = await agent.request('vm.save', { uuid: vm.uuid }, { timeoutMs: 310_000 });
    await applyDomain(vm, domain);
    if (!managedSave) {
      throw new VireoError('LIBVIRT_ERROR', 'The host reports no saved state after saving the VM.', { object: 'vm' });
    }
    return 'Saved to disk; the next start restores it';
  });
  return { taskId };
}

/** One thing a delete touches, for the confirmation. */
export interface DeleteItem {
  kind: 'disk' | 'volume' | 'overlay' | 'base' | 'seed' | 'nvram' | 'log' | 'cdrom';
  label: string;
}

/**
 * What deleting the VM removes and what stays, with and without its disks, from Vireo's records
 * of its hardware (the host removes exactly these: its own volumes, its uuid-named files).
 */
export async function deletePlan(
  vm: VmRecord,
  showsPaths = true,
): Promise<{ goes: DeleteItem[]; stays: DeleteItem[]; disks: DeleteItem[] }> {
  const found = await vmHardware.ofVm(vm.id);
  if (!found) throw new VireoError('NOT_FOUND', 'No such VM.', { object: 'vm' });
  // Who may not view the host reads file names, not where the host keeps them.
  const hw = showsPaths ? found : { ...found, disks: found.disks.map((d) => ({ ...d, path: fileNameOnly(d.path) })) };
  const goes: DeleteItem[] = [];
  const stays: DeleteItem[] = [];
  /** The VM's own pool volumes: they go with a full delete, stay with "keep disks". */
  const disks: DeleteItem[] = [];
  for (const d of hw.disks) {
    const name = d.pool && d.volume ? `${d.pool}/${d.volume}` : (d.path ?? '');
    if (d.device === 'cdrom') {
      if (name) stays.push({ kind: 'cdrom', label: `CD-ROM ${name} (attached, not the VM's)` });
    } else if (!d.pool) {
      // A kernel template's overlay: the VM's own file, named after it; its base is the template's.
      goes.push({ kind: 'overlay', label: `Disk overlay ${d.path ?? `${vm.uuid}.qcow2`}` });
    } else if (d.owned) {
      disks.push({ kind: 'volume', label: `Volume ${name}` });
    } else {
      stays.push({ kind: 'volume', label: `Volume ${name} (attached existing volume)` });
    }
  }
  const template = await templates.byId(vm.templateId);
  if (template) stays.push({ kind: 'base', label: `Template ${template.name} and its base image` });
  goes.push({ kind: 'seed', label: 'cloud-init seed ISO, if it has one' });
  if (hw.firmware === 'uefi') goes.push({ kind: 'nvram', label: 'UEFI variables (NVRAM)' });
  goes.push({ kind: 'log', label: 'Serial console log' });
  return { goes, stays, disks };
}

/** A path's last part: what a VM's user may know of a file on a host it may not view. */
export function fileNameOnly(path: string | null): string | null {
  return path === null ? null : (path.split('/').pop() ?? null);
}
