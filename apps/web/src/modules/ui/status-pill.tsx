import type { HostStatus, TaskState, VmState } from '@/trpc/types';

export type Tone = 'green' | 'grey' | 'amber' | 'red' | 'blue';

const TONE_CLASS: Record<Tone, string> = {
  green: 'bg-emerald-50 text-emerald-700 ring-emerald-600/25',
  grey: 'bg-zinc-100 text-zinc-600 ring-zinc-500/20',
  amber: 'bg-amber-50 text-amber-800 ring-amber-600/30',
  red: 'bg-red-50 text-red-700 ring-red-600/25',
  blue: 'bg-sky-50 text-sky-700 ring-sky-600/25',
};

const DOT_CLASS: Record<Tone, string> = {
  green: 'bg-emerald-500',
  grey: 'bg-zinc-400',
  amber: 'bg-amber-500',
  red: 'bg-red-500',
  blue: 'bg-sky-500 animate-pulse',
};

const VM_TONE: Record<VmState, Tone> = {
  running: 'green',
  shutoff: 'grey',
  paused: 'amber',
  pmsuspended: 'amber',
  shutdown: 'blue',
  crashed: 'red',
  unknown: 'grey',
  creating: 'blue',
  deleting: 'blue',
};

/**
 * VM states are shown in libvirt's own words (what `virsh list` users know); the tooltip spells
 * out the ones that read ambiguously.
 */
const VM_HINT: Partial<Record<VmState, string>> = {
  shutdown: 'being shut down',
  pmsuspended: 'suspended by guest power management',
  unknown: 'the host has not reported this VM',
};

const HOST_TONE: Record<HostStatus, Tone> = { online: 'green', offline: 'red', enrolling: 'blue' };
const TASK_TONE: Record<TaskState, Tone> = { queued: 'grey', running: 'blue', succeeded: 'green', failed: 'red' };

export function Pill({ tone, label, testId, title }: { tone: Tone; label: string; testId?: string; title?: string }) {
  return (
    <span
      data-testid={testId}
      title={title}
      className={`inline-flex items-center gap-1.5 rounded-full px-2 py-px text-xs font-medium whitespace-nowrap ring-1 ring-inset ${TONE_CLASS[tone]}`}
    >
      <span aria-hidden className={`size-1.5 rounded-full ${DOT_CLASS[tone]}`} />
      {label}
    </span>
  );
}

export function VmStatePill({ state, reason, testId }: { state: VmState; reason?: string | null; testId?: string }) {
  const hint = [VM_HINT[state], reason].filter(Boolean).join('; ');
  // libvirt's managed save leaves the domain shut off with reason "saved": say so, it resumes on start.
  const label = state === 'shutoff' && reason === 'saved' ? 'saved' : state;
  return <Pill tone={VM_TONE[state] ?? 'grey'} label={label} testId={testId} title={hint || undefined} />;
}

export function HostStatusPill({ status }: { status: HostStatus }) {
  return <Pill tone={HOST_TONE[status] ?? 'grey'} label={status} />;
}

export function TaskStatePill({ state }: { state: TaskState }) {
  return <Pill tone={TASK_TONE[state] ?? 'grey'} label={state} />;
}
