'use client';

import { useMutation, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useTRPC } from '@/trpc/client';
import type { VmView } from '@/trpc/types';
import { btn } from '../ui/buttons';
import { ConfirmDialog } from '../ui/confirm-dialog';
import { ErrorText } from '../ui/error-text';
import { formatDateTime } from '../ui/format';
import { SnapshotCreateForm } from './snapshot-create-form';
import { SnapshotEditDialog } from './snapshot-edit-dialog';
import { SnapshotSchedule } from './snapshot-schedule';
import { type Snapshot, snapshotTree } from './snapshot-tree';
import { useCan } from '../permissions/use-can';

/**
 * A VM's snapshots as a tree (the current one marked), with create, revert, delete, rename and
 * describe, and the VM's snapshot schedule. `version` changes whenever the VM or its task does,
 * so the list is re-read as snapshot tasks finish.
 */
export function SnapshotsPanel({
  vm,
  busy,
  version,
  onTaskStarted,
}: {
  vm: VmView;
  busy: boolean;
  version: string;
  onTaskStarted: (taskId: string) => void;
}) {
  const trpc = useTRPC();
  const list = useQuery(trpc.snapshot.list.queryOptions({ vmId: vm.id }));
  // Revert and delete lose state: 'edit' on the VM (a co-member who only runs it takes snapshots).
  const mayEdit = useCan('edit', 'vm', vm.id);
  const { refetch } = list;
  useEffect(() => {
    if (version) void refetch();
  }, [version, refetch]);
  const [creating, setCreating] = useState(false);
  const [reverting, setReverting] = useState<Snapshot | null>(null);
  const [deleting, setDeleting] = useState<Snapshot | null>(null);
  const [editing, setEditing] = useState<Snapshot | null>(null);
  const [startAfter, setStartAfter] = useState(false);
  const onSuccess = ({ taskId }: { taskId: string }) => onTaskStarted(taskId);
  const revert = useMutation(trpc.snapshot.revert.mutationOptions({ onSuccess }));
  const remove = useMutation(trpc.snapshot.delete.mutationOptions({ onSuccess }));
  const rows = snapshotTree(list.data?.snapshots ?? []);

  return (
    <section className="rounded-lg border border-zinc-200 bg-white shadow-xs" data-testid="vm-snapshots">
      <h2 className="flex items-center justify-between border-b border-zinc-100 px-3 py-2 text-xs font-semibold tracking-wide text-zinc-500 uppercase">
        Snapshots
        <button
          type="button"
          className={btn.secondary}
          data-testid="snapshot-new"
          disabled={busy || creating}
          onClick={() => setCreating(true)}
        >
          Take snapshot
        </button>
      </h2>
      <div className="space-y-3 p-3">
        {creating && (
          <SnapshotCreateForm
            vm={vm}
            onDone={(taskId) => {
              setCreating(false);
              if (taskId) onTaskStarted(taskId);
            }}
          />
        )}
        {list.error && <ErrorText error={list.error} />}
        {revert.error && <ErrorText error={revert.error} />}
        {remove.error && <ErrorText error={remove.error} />}
        {list.data?.stale && (
          <p className="text-xs text-amber-700">The host did not answer: this is the last list it reported.</p>
        )}
        {list.data && rows.length === 0 && <p className="text-sm text-zinc-500">No snapshots yet.</p>}
        {rows.length > 0 && (
          <ul className="divide-y divide-zinc-100 text-sm" data-testid="snapshot-tree">
            {rows.map(({ snapshot: s, depth }) => (
              <li
                key={s.name}
                className="flex items-center gap-3 py-1.5"
                data-testid="snapshot-row"
                data-name={s.name}
                data-current={s.current ? 'yes' : 'no'}
                style={{ paddingLeft: `${depth * 1.25}rem` }}
              >
                <span className="text-zinc-300">{depth > 0 ? '└' : '•'}</span>
                <div className="min-w-0 flex-1">
                  <div className="flex items-center gap-2">
                    <span className="truncate font-medium text-zinc-900">{s.displayName ?? s.name}</span>
                    {s.displayName && <span className="font-mono text-xs text-zinc-400">{s.name}</span>}
                    {s.current && (
                      <span
                        className="rounded bg-teal-50 px-1.5 text-xs font-medium text-teal-800 ring-1 ring-teal-200"
                        data-testid="snapshot-current"
                      >
                        current
                      </span>
                    )}
                    <span className="text-xs text-zinc-500">{s.withMemory ? 'disks + memory' : 'disks only'}</span>
                    {s.scheduled && <span className="text-xs text-zinc-400">scheduled</span>}
                  </div>
                  <div className="truncate text-xs text-zinc-500">
                    {formatDateTime(s.createdAt)} · taken while {s.state}
                    {s.description ? ` · ${s.description}` : ''}
                  </div>
                </div>
                <button type="button" className={btn.ghost} disabled={busy} onClick={() => setEditing(s)}>
                  Edit
                </button>
                {mayEdit && (
                  <>
                    <button
                      type="button"
                      className={btn.secondary}
                      data-testid="snapshot-revert"
                      disabled={busy}
                      onClick={() => {
                        setStartAfter(false);
                        setReverting(s);
                      }}
                    >
                      Revert
                    </button>
                    <button
                      type="button"
                      className={btn.danger}
                      data-testid="snapshot-delete"
                      disabled={busy}
                      onClick={() => setDeleting(s)}
                    >
                      Delete
                    </button>
                  </>
                )}
              </li>
            ))}
          </ul>
        )}
        <SnapshotSchedule vmId={vm.id} onTaskStarted={onTaskStarted} />
      </div>
      {reverting && (
        <ConfirmDialog
          title={`Revert ${vm.name} to ${reverting.displayName ?? reverting.name}?`}
          confirmLabel="Revert"
          testId="snapshot-revert-dialog"
          onCancel={() => setReverting(null)}
          onConfirm={() => {
            revert.mutate({ vmId: vm.id, name: reverting.name, ...(startAfter ? { start: true } : {}) });
            setReverting(null);
          }}
        >
          <p className="text-sm text-zinc-700">
            {reverting.withMemory
              ? 'The VM comes back running exactly as it was when the snapshot was taken.'
              : 'The VM’s disks go back to this snapshot; the VM is shut off.'}{' '}
            Everything since the snapshot that is not in another snapshot is lost.
          </p>
          {!reverting.withMemory && (
            <label className="mt-2 flex items-center gap-2 text-sm text-zinc-700">
              <input type="checkbox" checked={startAfter} onChange={(e) => setStartAfter(e.target.checked)} />
              Start the VM afterwards
            </label>
          )}
        </ConfirmDialog>
      )}
      {deleting && (
        <ConfirmDialog
          title={`Delete snapshot ${deleting.displayName ?? deleting.name}?`}
          confirmLabel="Delete snapshot"
          testId="snapshot-delete-dialog"
          onCancel={() => setDeleting(null)}
          onConfirm={() => {
            remove.mutate({ vmId: vm.id, name: deleting.name });
            setDeleting(null);
          }}
        >
          <p className="text-sm text-zinc-700">
            Its data merges into the snapshots taken after it; the VM itself does not change.
          </p>
        </ConfirmDialog>
      )}
      {editing && <SnapshotEditDialog vmId={vm.id} snapshot={editing} onClose={() => setEditing(null)} />}
    </section>
  );
}
