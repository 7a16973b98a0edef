'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTRPC } from '@/trpc/client';
import { btn, inputClass } from '../ui/buttons';
import { ErrorText } from '../ui/error-text';
import { formatDateTime } from '../ui/format';

const num = (s: string): number | null => (s.trim() === '' ? null : Number(s));

/** A `datetime-local` value (the browser's time zone) as an ISO instant; empty: none. */
const isoFromLocal = (s: string): string | undefined => (s ? new Date(s).toISOString() : undefined);

/**
 * The VM's snapshot schedule: every N minutes from an optional first run, keep the last N and/or
 * for D days; "Run now" takes one scheduled snapshot (and applies retention) at once.
 */
export function SnapshotSchedule({ vmId, onTaskStarted }: { vmId: string; onTaskStarted: (taskId: string) => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const schedule = useQuery(trpc.snapshot.schedule.queryOptions({ vmId }));
  const [editing, setEditing] = useState(false);
  const [interval, setIntervalText] = useState('1440');
  const [keepLast, setKeepLast] = useState('7');
  const [keepDays, setKeepDays] = useState('');
  const [withMemory, setWithMemory] = useState(false);
  const [startAt, setStartAt] = useState('');
  const save = useMutation(
    trpc.snapshot.setSchedule.mutationOptions({
      onSuccess: async () => {
        await queryClient.invalidateQueries({ queryKey: trpc.snapshot.schedule.queryKey({ vmId }) });
        setEditing(false);
      },
    }),
  );
  const runNow = useMutation(
    trpc.snapshot.runScheduleNow.mutationOptions({
      onSuccess: async ({ taskId }) => {
        onTaskStarted(taskId);
        await queryClient.invalidateQueries({ queryKey: trpc.snapshot.schedule.queryKey({ vmId }) });
      },
    }),
  );
  const s = schedule.data;
  return (
    <div className="border-t border-zinc-100 pt-3 text-sm" data-testid="snapshot-schedule">
      <div className="flex items-center justify-between gap-2">
        <span className="text-zinc-700">
          {s
            ? `Every ${s.intervalMinutes} min${s.withMemory ? ' (with memory when running)' : ''}; keep ${[
                s.keepLast ? `the last ${s.keepLast}` : '',
                s.keepDays ? `${s.keepDays} days` : '',
              ]
                .filter(Boolean)
                .join(' and ')}. Next: ${formatDateTime(s.nextRunAt)}`
            : 'No scheduled snapshots.'}
        </span>
        <span className="flex gap-2">
          {s && (
            <button
              type="button"
              className={btn.ghost}
              disabled={runNow.isPending}
              data-testid="snapshot-schedule-run-now"
              title="Take a scheduled snapshot now and apply the retention"
              onClick={() => runNow.mutate({ vmId })}
            >
              Run now
            </button>
          )}
          <button type="button" className={btn.ghost} onClick={() => setEditing(!editing)}>
            {s ? 'Change schedule' : 'Schedule'}
          </button>
          {s && (
            <button type="button" className={btn.ghost} onClick={() => save.mutate({ vmId, schedule: null })}>
              Remove
            </button>
          )}
        </span>
      </div>
      {editing && (
        <form
          className="mt-2 flex flex-wrap items-end gap-2"
          onSubmit={(e) => {
            e.preventDefault();
            save.mutate({
              vmId,
              schedule: {
                intervalMinutes: Number(interval),
                withMemory,
                keepLast: num(keepLast),
                keepDays: num(keepDays),
                enabled: true,
                startAt: isoFromLocal(startAt),
              },
            });
          }}
        >
          <Field label="Every (minutes)" value={interval} onChange={setIntervalText} />
          <Field label="Keep last" value={keepLast} onChange={setKeepLast} />
          <Field label="Keep days" value={keepDays} onChange={setKeepDays} />
          <label className="block space-y-1">
            <span className="text-xs text-zinc-600">First run (default: one interval from now)</span>
            <input
              type="datetime-local"
              className={inputClass}
              value={startAt}
              data-testid="snapshot-schedule-start"
              onChange={(e) => setStartAt(e.target.value)}
            />
          </label>
          <label className="flex h-8 items-center gap-1.5 text-xs text-zinc-700">
            <input type="checkbox" checked={withMemory} onChange={(e) => setWithMemory(e.target.checked)} />
            With memory when running
          </label>
          <button type="submit" className={btn.primary} disabled={save.isPending}>
            Save
          </button>
        </form>
      )}
      {save.error && <ErrorText error={save.error} />}
      {runNow.error && <ErrorText error={runNow.error} />}
    </div>
  );
}

function Field({ label, value, onChange }: { label: string; value: string; onChange: (v: string) => void }) {
  return (
    <label className="block w-28 space-y-1">
      <span className="text-xs text-zinc-600">{label}</span>
      <input className={inputClass} inputMode="numeric" value={value} onChange={(e) => onChange(e.target.value)} />
    </label>
  );
}
