'use client';

import { useMutation, useQuery } from '@tanstack/react-query';
import { type FormEvent, useId, useState } from 'react';
import { useTRPC } from '@/trpc/client';
import type { VmView } from '@/trpc/types';
import { useRunsHosts } from '../permissions/use-infra-role';
import { btn, inputClass } from '../ui/buttons';
import { Dialog } from '../ui/dialog';
import { ErrorText } from '../ui/error-text';

/**
 * "Migrate" on a VM page (administrators, and operators of hosts or clusters): every other host with its pre-checks (vm.migrateCheck;
 * a refused host shows why), the estimate for the chosen one, then vm.migrate. Progress shows in
 * the page's task panel and here, with Cancel migration while it runs.
 */
export function VmMigrateButton({
  vm,
  busy,
  onTaskStarted,
}: {
  vm: VmView;
  busy: boolean;
  onTaskStarted: (taskId: string) => void;
}) {
  const runsHosts = useRunsHosts();
  const [open, setOpen] = useState(false);
  if (!runsHosts) return null;
  const movable = ['running', 'paused', 'shutoff'].includes(vm.state);
  return (
    <>
      <button
        type="button"
        className={btn.secondary}
        data-testid="vm-migrate"
        disabled={busy || !movable}
        title={movable ? undefined : `The VM is ${vm.state}: only a running or stopped VM can be migrated`}
        onClick={() => setOpen(true)}
      >
        Migrate
      </button>
      {open && <VmMigrateDialog vm={vm} onClose={() => setOpen(false)} onTaskStarted={onTaskStarted} />}
    </>
  );
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;

function VmMigrateDialog({
  vm,
  onClose,
  onTaskStarted,
}: {
  vm: VmView;
  onClose: () => void;
  onTaskStarted: (taskId: string) => void;
}) {
  const trpc = useTRPC();
  const formId = useId();
  // '': what the disks need (shared storage, or block when one is on a host's own pool).
  const [mode, setMode] = useState<'' | 'shared' | 'block'>('');
  const checks = useQuery(trpc.vm.migrateCheck.queryOptions({ vmId: vm.id, ...(mode ? { mode } : {}) }));
  const [chosen, setChosen] = useState('');
  const [taskId, setTaskId] = useState<string | null>(null);
  const migrate = useMutation(
    trpc.vm.migrate.mutationOptions({
      onSuccess: (r) => {
        setTaskId(r.taskId);
        onTaskStarted(r.taskId);
      },
    }),
  );
  const cancel = useMutation(trpc.vm.cancelMigrate.mutationOptions());
  const task = useQuery({
    ...trpc.task.byId.queryOptions({ taskId: taskId ?? '' }),
    enabled: Boolean(taskId),
    refetchInterval: (q) => (q.state.data && ['succeeded', 'failed'].includes(q.state.data.state) ? false : 1000),
  });
  const targets = checks.data ?? [];
  const possible = targets.filter((t) => t.ok);
  const pick = chosen || possible[0]?.target?.id || '';
  const picked = targets.find((t) => t.target?.id === pick);
  const t = task.data;
  const done = t?.state === 'succeeded' || t?.state === 'failed';
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (pick) migrate.mutate({ vmId: vm.id, targetHostId: pick, ...(mode ? { mode } : {}) });
  };

  return (
    <Dialog
      title={`Migrate ${vm.name}`}
      testId="migrate-dialog"
      onClose={onClose}
      footer={
        taskId ? (
          <>
            {!done && (
              <button
                type="button"
                className={btn.secondary}
                data-testid="migrate-cancel"
                disabled={cancel.isPending || cancel.isSuccess}
                onClick={() => cancel.mutate({ taskId })}
              >
                {cancel.isSuccess ? 'Cancelling…' : 'Cancel migration'}
              </button>
            )}
            <button type="button" className={btn.secondary} onClick={onClose}>
              Close
            </button>
          </>
        ) : (
          <>
            <button type="button" className={btn.secondary} onClick={onClose}>
              Cancel
            </button>
            <button
              type="submit"
              form={formId}
              className={btn.primary}
              data-testid="migrate-submit"
              disabled={migrate.isPending || !picked?.ok}
            >
              {migrate.isPending ? 'Starting…' : 'Migrate'}
            </button>
          </>
        )
      }
    >
      {taskId ? (
        <div className="space-y-3 text-sm text-zinc-700" data-testid="migrate-progress">
          <div className="flex justify-between gap-3">
            <span>{t?.state === 'failed' ? (t.errorMessage ?? 'Failed') : (t?.message ?? 'Starting…')}</span>
            <span className="tabular-nums">{t?.progress ?? 0}%</span>
          </div>
          <div className="h-2 overflow-hidden rounded bg-zinc-200">
            <div
              className={`h-full ${t?.state === 'failed' ? 'bg-red-500' : 'bg-teal-600'}`}
              style={{ width: `${t?.progress ?? 0}%` }}
            />
          </div>
          <ErrorText error={task.error ?? cancel.error} />
        </div>
      ) : (
        <form id={formId} onSubmit={submit} className="space-y-3 text-sm">
          <p className="text-zinc-700">
            {vm.state === 'shutoff'
              ? `${vm.name} is stopped: its definition moves to the chosen host (cold migration).`
              : `${vm.name} keeps running while its memory is copied to the chosen host (live migration).`}{' '}
            Now on <span className="font-medium">{vm.hostName ?? 'no host'}</span>.
          </p>
          {vm.state !== 'shutoff' && (
            <label className="flex items-center gap-2 text-zinc-700">
              Storage
              <select
                className={`${inputClass} h-8 w-auto`}
                data-testid="migrate-mode"
                value={mode}
                onChange={(e) => setMode(e.target.value as typeof mode)}
              >
                <option value="">Automatic (from where the disks are)</option>
                <option value="shared">Shared storage (disks stay where they are)</option>
                <option value="block">Copy the disks (block migration)</option>
              </select>
            </label>
          )}
          {checks.isPending && <p className="text-zinc-500">Checking the hosts…</p>}
          {checks.data && targets.length === 0 && <p className="text-zinc-600">There is no other host.</p>}
          <fieldset className="space-y-2" data-testid="migrate-targets">
            {targets.map((r) => {
              const id = r.target?.id ?? '';
              return (
                <label
                  key={id}
                  className={`block rounded-md border px-3 py-2 ${r.ok ? 'border-zinc-200' : 'border-zinc-100 bg-zinc-50'}`}
                  data-testid="migrate-target"
                  data-ok={r.ok || undefined}
                >
                  <span className="flex items-center gap-2">
                    <input
                      type="radio"
                      name="migrate-target"
                      value={id}
                      disabled={!r.ok}
                      checked={pick === id}
                      onChange={() => setChosen(id)}
                    />
                    <span className="font-medium text-zinc-900">{r.target?.name ?? 'unknown host'}</span>
                    <span className={r.ok ? 'text-teal-700' : 'text-red-700'}>
                      {r.ok ? `${r.live ? 'live' : 'cold'}, ${r.mode} storage` : 'not possible'}
                    </span>
                  </span>
                  <ul className="mt-1 space-y-0.5 pl-6 text-xs">
                    {r.checks
                      .filter((c) => (r.ok ? c.id === 'memory' || c.id === 'storage' : !c.ok))
                      .map((c) => (
                        <li key={c.id} className={c.ok ? 'text-zinc-600' : 'text-red-700'} data-testid="migrate-check">
                          {c.ok ? '✓' : '✗'} {c.reason}
                        </li>
                      ))}
                  </ul>
                </label>
              );
            })}
          </fieldset>
          {picked?.ok && picked.estimate && (
            <p className="text-zinc-700" data-testid="migrate-estimate">
              Estimate: about {seconds(picked.estimate.durationMs)}
              {picked.live ? `, downtime about ${picked.estimate.downtimeMs} ms` : ''} ({picked.estimate.basis}).
            </p>
          )}
          <ErrorText error={checks.error ?? migrate.error} testId="migrate-error" />
        </form>
      )}
    </Dialog>
  );
}
