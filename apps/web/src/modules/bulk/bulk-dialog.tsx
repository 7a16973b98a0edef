'use client';

import { useMutation, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useTRPC } from '@/trpc/client';
import type { RouterInputs, RouterOutputs } from '@/trpc/types';
import { ProgressBar } from '../ui/bars';
import { btn, inputClass } from '../ui/buttons';
import { Dialog } from '../ui/dialog';
import { FormDialog } from '../ui/form-dialog';
import { ErrorText } from '../ui/error-text';
import { Pill } from '../ui/status-pill';

type PlanInput = RouterInputs['bulk']['plan'];
export type BulkAction = PlanInput['action'];
export type BulkTarget = PlanInput['target'];
type Outcome = RouterOutputs['bulk']['items'][number]['outcome'];

export const ACTION_LABEL: Record<BulkAction, string> = {
  start: 'Start',
  shutdown: 'Shut down',
  forceOff: 'Force off',
  snapshot: 'Snapshot',
  delete: 'Delete',
  tag: 'Add tag',
  untag: 'Remove tag',
};
const FINAL = new Set<Outcome>(['succeeded', 'failed', 'skipped']);
/** Power cut or removal: confirmed by typing how many VMs are affected. */
const DESTRUCTIVE = new Set<BulkAction>(['delete', 'forceOff']);

const OUTCOME_TONE: Record<Outcome, 'green' | 'grey' | 'red' | 'blue'> = {
  run: 'blue',
  running: 'blue',
  skip: 'grey',
  skipped: 'grey',
  succeeded: 'green',
  failed: 'red',
};
const OUTCOME_LABEL: Record<Outcome, string> = {
  run: 'will run',
  running: 'running',
  skip: 'skip',
  skipped: 'skipped',
  succeeded: 'done',
  failed: 'failed',
};

/**
 * A bulk action from start to end: (a tag to name,) the dry run listing every VM and what will
 * happen to it, a confirmation (typing the count for destructive ones), then the job's progress
 * with each VM's result as it comes.
 */
export function BulkDialog({
  action,
  target,
  targetLabel,
  onClose,
}: {
  action: BulkAction;
  target: BulkTarget;
  targetLabel: string;
  onClose: () => void;
}) {
  const needsTag = action === 'tag' || action === 'untag';
  const [tag, setTag] = useState<string | null>(needsTag ? null : '');
  const [taskId, setTaskId] = useState<string | null>(null);
  const title = `${ACTION_LABEL[action]} · ${targetLabel}`;
  if (tag === null) return <TagStep title={title} onCancel={onClose} onNext={setTag} />;
  const plan: PlanInput = { action, target, ...(needsTag ? { tag } : {}) };
  if (taskId) return <ResultStep title={title} taskId={taskId} onClose={onClose} />;
  return <PlanStep title={title} plan={plan} onCancel={onClose} onStarted={setTaskId} />;
}

function TagStep({ title, onCancel, onNext }: { title: string; onCancel: () => void; onNext: (tag: string) => void }) {
  const [text, setText] = useState('');
  return (
    <FormDialog
      title={title}
      testId="bulk-dialog"
      submitLabel="Dry run"
      submitTestId="bulk-tag-next"
      busy={false}
      canSubmit={text.trim() !== ''}
      error={null}
      onSubmit={() => onNext(text.trim().toLowerCase())}
      onClose={onCancel}
    >
      <label className="block space-y-1">
        <span className="text-xs text-zinc-600">Tag (lower-case letters, digits, - _ . :)</span>
        <input
          data-testid="bulk-tag-input"
          className={`${inputClass} font-mono`}
          maxLength={40}
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
      </label>
    </FormDialog>
  );
}

function PlanStep({
  title,
  plan,
  onCancel,
  onStarted,
}: {
  title: string;
  plan: PlanInput;
  onCancel: () => void;
  onStarted: (taskId: string) => void;
}) {
  const trpc = useTRPC();
  // Always fresh: a dry run shown from the cache could be stale.
  const dry = useQuery(trpc.bulk.plan.queryOptions(plan, { staleTime: 0, gcTime: 0, retry: false }));
  const run = useMutation(trpc.bulk.run.mutationOptions({ onSuccess: (r) => onStarted(r.taskId) }));
  const [typed, setTyped] = useState('');
  const count = dry.data?.run ?? 0;
  const destructive = DESTRUCTIVE.has(plan.action);
  const allowed = dry.data !== undefined && count > 0 && (!destructive || typed === String(count)) && !run.isPending;
  const confirm = () => {
    if (!allowed || !dry.data) return;
    const confirmVmIds = dry.data.items.filter((i) => i.outcome === 'run').map((i) => i.vmId);
    run.mutate({ plan, confirmVmIds });
  };
  return (
    <Dialog
      title={title}
      testId="bulk-dialog"
      width="max-w-2xl"
      onClose={onCancel}
      footer={
        <>
          <button type="button" className={btn.secondary} onClick={onCancel}>
            Cancel
          </button>
          <button
            type="button"
            data-testid="bulk-confirm"
            className={destructive ? btn.dangerSolid : btn.primary}
            disabled={!allowed}
            onClick={confirm}
          >
            {`${ACTION_LABEL[plan.action]} ${count} VM${count === 1 ? '' : 's'}`}
          </button>
        </>
      }
    >
      <div className="space-y-3">
        {dry.isPending && <p>Working out what would happen…</p>}
        <ErrorText error={dry.error ?? run.error} />
        {dry.data && (
          <>
            <p data-testid="bulk-summary">
              Dry run: <strong className="text-zinc-900">{dry.data.run}</strong> of {dry.data.items.length} VMs{' '}
              {dry.data.run === 1 ? 'is' : 'are'} acted on, <strong className="text-zinc-900">{dry.data.skip}</strong>{' '}
              skipped. Nothing has changed yet.
            </p>
            <ItemTable rows={dry.data.items.map((i) => ({ ...i, id: i.vmId }))} testId="bulk-plan-row" />
            {destructive && count > 0 && (
              <label className="block space-y-1">
                <span className="text-xs text-zinc-600">
                  Type <span className="font-mono font-semibold text-zinc-900">{count}</span> (the number of VMs) to
                  confirm
                </span>
                <input
                  data-testid="bulk-confirm-input"
                  className={`${inputClass} w-24 font-mono`}
                  value={typed}
                  onChange={(e) => setTyped(e.target.value)}
                  onKeyDown={(e) => {
                    if (e.key === 'Enter') confirm();
                  }}
                  autoComplete="off"
                />
              </label>
            )}
          </>
        )}
      </div>
    </Dialog>
  );
}

function ResultStep({ title, taskId, onClose }: { title: string; taskId: string; onClose: () => void }) {
  const trpc = useTRPC();
  const [settled, setSettled] = useState(false);
  const every = settled ? false : 1000;
  const task = useQuery(trpc.task.byId.queryOptions({ taskId }, { refetchInterval: every }));
  const items = useQuery(trpc.bulk.items.queryOptions({ taskId }, { refetchInterval: every }));
  const state = task.data?.state;
  const ended = state === 'succeeded' || state === 'failed';
  const rows = items.data ?? [];
  // The lines are final before the task ends; polling stops once both say so.
  const linesFinal = items.data !== undefined && rows.every((r) => FINAL.has(r.outcome));
  useEffect(() => {
    if (ended && linesFinal) setSettled(true);
  }, [ended, linesFinal]);
  return (
    <Dialog
      title={title}
      testId="bulk-dialog"
      width="max-w-2xl"
      onClose={onClose}
      footer={
        <button type="button" className={btn.secondary} onClick={onClose} data-testid="bulk-close">
          {ended ? 'Close' : 'Close (the job keeps running)'}
        </button>
      }
    >
      <div className="space-y-3">
        <div className="space-y-1">
          <ProgressBar percent={task.data?.progress ?? 0} failed={state === 'failed'} done={state === 'succeeded'} />
          <p data-testid="bulk-job-state" data-state={settled ? state : 'running'} className="text-xs">
            {task.data?.errorMessage ?? task.data?.message ?? 'Starting…'}
          </p>
        </div>
        <ErrorText error={task.error ?? items.error} />
        <ItemTable rows={rows.map((r) => ({ ...r, id: r.id }))} testId="bulk-result-row" />
      </div>
    </Dialog>
  );
}

function ItemTable({
  rows,
  testId,
}: {
  rows: { id: string; vmName: string; outcome: Outcome; message: string }[];
  testId: string;
}) {
  return (
    <div className="max-h-80 overflow-auto rounded-md border border-zinc-200">
      <table className="w-full text-left text-sm">
        <tbody>
          {rows.map((r) => (
            <tr
              key={r.id}
              data-testid={testId}
              data-name={r.vmName}
              data-outcome={r.outcome}
              className="border-b border-zinc-100 last:border-0"
            >
              <td className="max-w-56 truncate px-3 py-1.5 font-medium text-zinc-900">{r.vmName}</td>
              <td className="px-3 py-1.5">
                <Pill tone={OUTCOME_TONE[r.outcome]} label={OUTCOME_LABEL[r.outcome]} />
              </td>
              <td className="px-3 py-1.5 text-zinc-600">{r.message}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
