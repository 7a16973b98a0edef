'use client';

import { useMutation } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import { useTRPC } from '@/trpc/client';
import type { VmState, VmView } from '@/trpc/types';
import { btn } from '../ui/buttons';
import { ConfirmDialog } from '../ui/confirm-dialog';

export type LifecycleVerb = 'reboot' | 'reset' | 'pause' | 'resume' | 'save' | 'startPaused';

/** Which verb makes sense in which state (mirrors services/vm-lifecycle.ts). */
const ALLOWED: Record<LifecycleVerb, readonly VmState[]> = {
  reboot: ['running'],
  reset: ['running', 'paused', 'pmsuspended'],
  pause: ['running'],
  resume: ['paused', 'pmsuspended'],
  save: ['running', 'paused'],
  startPaused: ['shutoff', 'crashed'],
};

const LABEL: Record<LifecycleVerb, string> = {
  reboot: 'Reboot',
  reset: 'Reset',
  pause: 'Pause',
  resume: 'Resume',
  save: 'Save to disk',
  startPaused: 'Start paused',
};

const HINT: Record<LifecycleVerb, string> = {
  reboot: 'Ask the guest to reboot (ACPI)',
  reset: 'Hard reset, like the reset button: the guest gets no say',
  pause: 'Stop the vCPUs; memory stays on the host',
  resume: 'Let the vCPUs run again',
  save: 'Suspend to disk: memory is written to the host and the VM stops; Start restores it',
  startPaused: 'Start with the vCPUs paused, e.g. to attach a console before the guest runs',
};

/**
 * The lifecycle verbs beyond start/shut down/force off, for the VM's action bar: a button per
 * verb, to place in the header row or in its "More" menu, and the error and the reset
 * confirmation, which the bar shows outside that menu (the menu hides itself once clicked).
 * `disabled`: a task runs on the VM, the host is down or another action is being sent.
 */
export function useLifecycleVerbs(
  vm: VmView,
  disabled: boolean,
  onTaskStarted: (taskId: string) => void,
): { button: (verb: LifecycleVerb) => ReactNode; error: unknown; sending: boolean; dialog: ReactNode } {
  const trpc = useTRPC();
  const [confirmReset, setConfirmReset] = useState(false);
  const onSuccess = ({ taskId }: { taskId: string }) => onTaskStarted(taskId);
  const m = {
    reboot: useMutation(trpc.vm.reboot.mutationOptions({ onSuccess })),
    reset: useMutation(trpc.vm.reset.mutationOptions({ onSuccess })),
    pause: useMutation(trpc.vm.pause.mutationOptions({ onSuccess })),
    resume: useMutation(trpc.vm.resume.mutationOptions({ onSuccess })),
    save: useMutation(trpc.vm.save.mutationOptions({ onSuccess })),
    startPaused: useMutation(trpc.vm.startPaused.mutationOptions({ onSuccess })),
  };
  const verbs = Object.keys(m) as LifecycleVerb[];
  const sending = verbs.some((v) => m[v].isPending);
  const error = verbs.map((v) => m[v].error).find(Boolean) ?? null;
  const run = (verb: LifecycleVerb) => {
    for (const v of verbs) m[v].reset();
    m[verb].mutate({ vmId: vm.id });
  };

  const button = (verb: LifecycleVerb) => (
    <button
      key={verb}
      type="button"
      data-testid={`vm-${verb.toLowerCase()}`}
      title={HINT[verb]}
      className={verb === 'reset' ? btn.danger : btn.secondary}
      disabled={disabled || sending || !ALLOWED[verb].includes(vm.state)}
      onClick={() => (verb === 'reset' ? setConfirmReset(true) : run(verb))}
    >
      {LABEL[verb]}
    </button>
  );
  const dialog = confirmReset && (
    <ConfirmDialog
      title={`Reset ${vm.name}?`}
      confirmLabel="Reset"
      onCancel={() => setConfirmReset(false)}
      onConfirm={() => {
        setConfirmReset(false);
        run('reset');
      }}
    >
      Like pressing the reset button: the guest restarts at once, without shutting down, and unsaved data in it is lost.
    </ConfirmDialog>
  );
  return { button, error, sending, dialog };
}
