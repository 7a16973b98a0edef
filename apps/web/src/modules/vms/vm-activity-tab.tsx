'use client';

import { useQuery } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { useTRPC } from '@/trpc/client';
import type { EventView, TaskView } from '@/trpc/types';
import { TaskCells } from '../tasks/tasks-view';
import { ErrorText } from '../ui/error-text';
import { formatAgo, formatDateTime } from '../ui/format';
import { EmptyRow, stacked, TableHead, td as tdBase } from '../ui/page-header';
import { Pill } from '../ui/status-pill';
import { useNow } from '../ui/use-now';

const td = `${tdBase} ${stacked.td}`;
const SEVERITY_TONE = { info: 'grey', warning: 'amber', error: 'red' } as const;
const TASK_COLUMNS = ['Task', 'State', 'Progress', 'Result', 'By', 'Started'];
const EVENT_COLUMNS = ['Time', 'Severity', 'Kind', 'Message'];

/**
 * "Tasks & events" of one VM, newest first. Both lists stay live: pushed task and event changes
 * are patched into these queries (live/patch-cache.ts).
 */
export function VmActivityTab({ vmId }: { vmId: string }) {
  return (
    <div className="space-y-4">
      <VmTasks vmId={vmId} />
      <VmEvents vmId={vmId} />
    </div>
  );
}

function Section({ title, testId, children }: { title: string; testId: string; children: ReactNode }) {
  return (
    <section data-testid={testId} className="overflow-hidden rounded-lg border border-zinc-200 bg-white shadow-xs">
      <h2 className="border-b border-zinc-200 px-3 py-2 text-xs font-semibold tracking-wide text-zinc-500 uppercase">
        {title}
      </h2>
      <div className="overflow-auto sm:max-h-[28rem]">{children}</div>
    </section>
  );
}

function VmTasks({ vmId }: { vmId: string }) {
  const trpc = useTRPC();
  const tasks = useQuery(trpc.task.listForVm.queryOptions({ vmId }));
  return (
    <TasksSection tasks={tasks} testId="vm-activity-tasks" rowTestId="vm-task-row" empty="No tasks for this VM yet." />
  );
}

function VmEvents({ vmId }: { vmId: string }) {
  const trpc = useTRPC();
  const events = useQuery(trpc.event.listForVm.queryOptions({ vmId }));
  return (
    <EventsSection
      events={events}
      testId="vm-activity-events"
      rowTestId="vm-event-row"
      empty="No events for this VM yet."
    />
  );
}

type ListQuery<T> = { data?: T[] | undefined; error: unknown; isPending: boolean };

/** A task list, newest first (a VM's or a host's). */
export function TasksSection({
  tasks,
  testId,
  rowTestId,
  empty,
}: {
  tasks: ListQuery<TaskView>;
  testId: string;
  rowTestId: string;
  empty: string;
}) {
  const now = useNow(5_000);
  return (
    <Section title="Tasks" testId={testId}>
      {tasks.error ? (
        <div className="p-3">
          <ErrorText error={tasks.error} />
        </div>
      ) : null}
      <table className={`w-full border-separate border-spacing-0 text-sm ${stacked.table}`}>
        <TableHead columns={TASK_COLUMNS} className={stacked.thead} />
        <tbody className={stacked.tbody}>
          {tasks.data?.map((task) => {
            return (
              <tr
                key={task.id}
                data-testid={rowTestId}
                data-kind={task.kind}
                data-state={task.state}
                className={stacked.tr}
              >
                <TaskCells task={task} />
                <td data-label="By" className={`${td} text-zinc-700`}>
                  {task.ownerName ?? <span className="text-zinc-500">deleted user</span>}
                </td>
                <td
                  data-label="Started"
                  className={`${td} text-xs text-zinc-600`}
                  title={formatDateTime(task.createdAt)}
                >
                  {formatAgo(task.createdAt, now)}
                </td>
              </tr>
            );
          })}
          {tasks.isPending && <EmptyRow colSpan={TASK_COLUMNS.length}>Loading tasks…</EmptyRow>}
          {tasks.data?.length === 0 && <EmptyRow colSpan={TASK_COLUMNS.length}>{empty}</EmptyRow>}
        </tbody>
      </table>
    </Section>
  );
}

/** An event list, newest first (a VM's or a host's). */
export function EventsSection({
  events,
  testId,
  rowTestId,
  empty,
}: {
  events: ListQuery<EventView>;
  testId: string;
  rowTestId: string;
  empty: string;
}) {
  return (
    <Section title="Events" testId={testId}>
      {events.error ? (
        <div className="p-3">
          <ErrorText error={events.error} />
        </div>
      ) : null}
      <table className={`w-full border-separate border-spacing-0 text-sm ${stacked.table}`}>
        <TableHead columns={EVENT_COLUMNS} className={stacked.thead} />
        <tbody className={stacked.tbody}>
          {events.data?.map((event) => (
            <tr key={event.id} data-testid={rowTestId} data-kind={event.kind} className={stacked.tr}>
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
          ))}
          {events.isPending && <EmptyRow colSpan={EVENT_COLUMNS.length}>Loading events…</EmptyRow>}
          {events.data?.length === 0 && <EmptyRow colSpan={EVENT_COLUMNS.length}>{empty}</EmptyRow>}
        </tbody>
      </table>
    </Section>
  );
}
