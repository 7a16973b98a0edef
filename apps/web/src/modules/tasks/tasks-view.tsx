'use client';

import { useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { memo, type ReactNode, useId, useState } from 'react';
import { useTRPC } from '@/trpc/client';
import type { EventView, TaskView } from '@/trpc/types';
import { useSession } from '../auth/use-session';
import { ProgressBar } from '../ui/bars';
import { ErrorText } from '../ui/error-text';
import { formatAgo, formatDateTime, formatTaskKind } from '../ui/format';
import { EmptyRow, PageHeader, stacked, TableHead, td as tdBase } from '../ui/page-header';
import { Pill, TaskStatePill } from '../ui/status-pill';
import { useNow } from '../ui/use-now';

/** Cells stack as "label  value" lines on a phone. */
const td = `${tdBase} ${stacked.td}`;

export function TasksView() {
  const { user } = useSession();
  const isAdmin = user?.role === 'admin';
  return (
    <>
      <PageHeader title={isAdmin ? 'Tasks & events' : 'Tasks'} />
      <div className="min-h-0 flex-1 overflow-auto bg-zinc-50 p-4">
        <div className="space-y-4">
          <TaskTable />
          {isAdmin && <EventTable />}
        </div>
      </div>
    </>
  );
}

function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section className="overflow-hidden rounded-lg border border-zinc-200 bg-white shadow-xs">
      <h2 className="border-b border-zinc-200 px-3 py-2 text-xs font-semibold tracking-wide text-zinc-500 uppercase">
        {title}
      </h2>
      <div className="overflow-auto sm:max-h-[28rem]">{children}</div>
    </section>
  );
}

const TASK_COLUMNS = ['Task', 'State', 'Progress', 'Result', 'VM', 'By', 'Started', 'Finished'];

function TaskTable() {
  const trpc = useTRPC();
  const tasks = useQuery(trpc.task.list.queryOptions());
  const now = useNow(5_000);
  return (
    <Section title="Recent tasks">
      {tasks.error && (
        <div className="p-3">
          <ErrorText error={tasks.error} />
        </div>
      )}
      <table className={`w-full border-separate border-spacing-0 text-sm ${stacked.table}`}>
        <TableHead columns={TASK_COLUMNS} className={stacked.thead} />
        <tbody className={stacked.tbody}>
          {tasks.data?.map((task) => (
            <TaskRow key={task.id} task={task} now={now} />
          ))}
          {tasks.isPending && <EmptyRow colSpan={TASK_COLUMNS.length}>Loading tasks…</EmptyRow>}
          {tasks.data?.length === 0 && <EmptyRow colSpan={TASK_COLUMNS.length}>No tasks yet.</EmptyRow>}
        </tbody>
      </table>
    </Section>
  );
}

/** A task's own cells (what, state, progress, result): shared by this page and a VM's Tasks tab. */
export function TaskCells({ task }: { task: TaskView }) {
  const failed = task.state === 'failed';
  const percent = task.state === 'succeeded' ? 100 : task.progress;
  return (
    <>
      <td data-label="Task" className={`${td} font-medium text-zinc-800`}>
        {formatTaskKind(task.kind)}
      </td>
      <td data-label="State" className={td}>
        <TaskStatePill state={task.state} />
      </td>
      <td data-label="Progress" className={`${td} w-40`}>
        <div className="flex items-center gap-2">
          <div className="w-20">
            <ProgressBar percent={percent} failed={failed} done={task.state === 'succeeded'} />
          </div>
          <span className="text-xs whitespace-nowrap text-zinc-600 tabular-nums">{Math.round(percent)} %</span>
        </div>
      </td>
      <td data-label="Result" className={`${td} max-w-md min-w-64 whitespace-normal max-sm:min-w-0`}>
        {failed ? (
          <span className="text-red-700" data-testid="task-error">
            <ExpandableText text={task.errorMessage ?? 'Failed'} />
            {task.errorCode && <span className="ml-1 font-mono text-[11px] text-red-600">({task.errorCode})</span>}
          </span>
        ) : (
          <span className="text-zinc-600">{task.message ?? ''}</span>
        )}
      </td>
    </>
  );
}

const TaskRow = memo(function TaskRow({ task, now }: { task: TaskView; now: number }) {
  return (
    <tr
      data-testid="task-row"
      data-state={task.state}
      data-kind={task.kind}
      className={`hover:bg-zinc-50 ${stacked.tr}`}
    >
      <TaskCells task={task} />
      <td data-label="VM" className={td} data-testid="task-vm">
        <TaskVm task={task} />
      </td>
      <td data-label="By" className={`${td} text-zinc-700`} data-testid="task-owner">
        {task.ownerName ?? <span className="text-zinc-500">deleted user</span>}
      </td>
      <td data-label="Started" className={`${td} text-xs text-zinc-600`} title={formatDateTime(task.createdAt)}>
        {formatAgo(task.createdAt, now)}
      </td>
      <td data-label="Finished" className={`${td} text-xs text-zinc-600 max-sm:hidden`}>
        {formatDateTime(task.finishedAt)}
      </td>
    </tr>
  );
});

/** Long enough to need two lines in the Result column. */
const LONG_TEXT = 110;

/** Long results (libvirt errors) show their start; the rest opens in place. */
function ExpandableText({ text }: { text: string }) {
  const [open, setOpen] = useState(false);
  const id = useId();
  if (text.length <= LONG_TEXT) return <span>{text}</span>;
  return (
    <>
      <span id={id} className={open ? 'break-words' : 'line-clamp-2 break-words'}>
        {text}
      </span>
      <button
        type="button"
        data-testid="task-error-toggle"
        aria-expanded={open}
        aria-controls={id}
        onClick={() => setOpen((o) => !o)}
        className="mt-0.5 text-xs font-medium text-teal-700 hover:underline"
      >
        {open ? 'Show less' : 'Show all'}
      </button>
    </>
  );
}

/**
 * A task keeps its VM's name (stored on the task): a deleted VM's tasks still say which VM it
 * was (the database sets vmId to null, and the live `vmRemoved` change does so in the cache). A create that
 * failed before the VM existed may have no VM at all.
 */
function TaskVm({ task }: { task: TaskView }) {
  if (task.vmId) {
    return (
      <Link href={`/vms/${task.vmId}`} className="text-teal-700 hover:underline">
        {task.vmName ?? 'VM'}
      </Link>
    );
  }
  if (task.vmName) {
    return (
      <span className="text-zinc-700">
        {task.vmName} <span className="text-xs text-zinc-500">(deleted)</span>
      </span>
    );
  }
  if (!task.kind.startsWith('vm.')) return <span className="text-zinc-500">—</span>;
  return <span className="text-zinc-500">deleted VM</span>;
}

const SEVERITY_TONE = { info: 'grey', warning: 'amber', error: 'red' } as const;
const EVENT_COLUMNS = ['Time', 'Severity', 'Kind', 'Message'];

function EventTable() {
  const trpc = useTRPC();
  const events = useQuery(trpc.event.list.queryOptions());
  return (
    <Section title="Recent events">
      {events.error && (
        <div className="p-3">
          <ErrorText error={events.error} />
        </div>
      )}
      <table className={`w-full border-separate border-spacing-0 text-sm ${stacked.table}`}>
        <TableHead columns={EVENT_COLUMNS} className={stacked.thead} />
        <tbody className={stacked.tbody}>
          {events.data?.map((event) => (
            <EventRow key={event.id} event={event} />
          ))}
          {events.isPending && <EmptyRow colSpan={EVENT_COLUMNS.length}>Loading events…</EmptyRow>}
          {events.data?.length === 0 && <EmptyRow colSpan={EVENT_COLUMNS.length}>No events yet.</EmptyRow>}
        </tbody>
      </table>
    </Section>
  );
}

const EventRow = memo(function EventRow({ event }: { event: EventView }) {
  return (
    <tr data-testid="event-row" className={`hover:bg-zinc-50 ${stacked.tr}`}>
      <td data-label="Time" className={`${td} text-xs text-zinc-600 tabular-nums`}>
        {formatDateTime(event.at)}
      </td>
      <td data-label="Severity" className={td}>
        <Pill tone={SEVERITY_TONE[event.severity] ?? 'grey'} label={event.severity} />
      </td>
      <td data-label="Kind" className={`${td} font-mono text-xs text-zinc-600`}>
        {event.kind}
      </td>
      <td data-label="Message" className={`${td} whitespace-normal text-zinc-800`}>
        {event.message}
      </td>
    </tr>
  );
});
