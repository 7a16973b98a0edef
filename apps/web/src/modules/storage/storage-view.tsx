'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useState } from 'react';
import { useTRPC } from '@/trpc/client';
import type { RouterOutputs } from '@/trpc/types';
import { UsageBar } from '../ui/bars';
import { btn } from '../ui/buttons';
import { ConfirmDialog } from '../ui/confirm-dialog';
import { ErrorText } from '../ui/error-text';
import { PlusIcon } from '../ui/icons';
import { EmptyRow, PageHeader, stacked, TableHead, td as tdBase } from '../ui/page-header';
import { PoolCreateDialog } from './pool-create-dialog';
import { VolumeCreateDialog } from './storage-dialogs';
import { formatSize } from './storage-format';
import { StorageTasks, type TrackTask, type TrackedTask } from './storage-tasks';
import { VolumeTable } from './volume-table';

export type PoolView = RouterOutputs['storage']['list'][number];

/** Pool figures are libvirt's, read live from every host; refreshed this often. */
const REFRESH_MS = 4000;
const HOST_COLUMNS = ['Host', 'State', 'Used', 'Free'];
const td = `${tdBase} ${stacked.td}`;

export function StorageView() {
  const trpc = useTRPC();
  const pools = useQuery({ ...trpc.storage.list.queryOptions(), refetchInterval: REFRESH_MS });
  const [tasks, setTasks] = useState<TrackedTask[]>([]);
  const [creating, setCreating] = useState(false);
  const track: TrackTask = useCallback(
    (taskId, label) => setTasks((t) => [{ taskId, label }, ...t.filter((x) => x.taskId !== taskId)].slice(0, 6)),
    [],
  );
  const count = pools.data?.length ?? 0;

  return (
    <>
      <PageHeader
        title="Storage"
        meta={pools.data && <span data-testid="pool-count">{`${count} ${count === 1 ? 'pool' : 'pools'}`}</span>}
        actions={
          <button type="button" data-testid="pool-create" className={btn.primary} onClick={() => setCreating(true)}>
            <PlusIcon />
            New pool
          </button>
        }
      />
      {creating && <PoolCreateDialog onClose={() => setCreating(false)} />}
      <div className="min-h-0 flex-1 space-y-4 overflow-auto bg-zinc-50 p-4">
        <ErrorText error={pools.error} />
        <StorageTasks tasks={tasks} onDismiss={(id) => setTasks((t) => t.filter((x) => x.taskId !== id))} />
        {pools.isPending && <p className="text-sm text-zinc-500">Loading pools…</p>}
        {pools.data?.length === 0 && (
          <p className="text-sm text-zinc-500">No pools yet. The default pool appears once a host has connected.</p>
        )}
        {pools.data?.map((pool) => (
          <PoolSection key={pool.id} pool={pool} pools={pools.data} track={track} />
        ))}
      </div>
    </>
  );
}

function PoolSection({ pool, pools, track }: { pool: PoolView; pools: PoolView[]; track: TrackTask }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [dialog, setDialog] = useState<'volume' | 'delete' | null>(null);
  const remove = useMutation(
    trpc.storage.deletePool.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.storage.list.queryKey() }),
    }),
  );
  const volumes = pool.volumes;
  const used = volumes?.reduce((n, v) => n + v.allocationBytes, 0) ?? 0;
  const virtual = volumes?.reduce((n, v) => n + v.capacityBytes, 0) ?? 0;

  return (
    <section
      id={`pool-${pool.name}`}
      data-testid="pool"
      data-name={pool.name}
      aria-label={`Storage pool ${pool.name}`}
      className="rounded-lg border border-zinc-200 bg-white shadow-xs"
    >
      <div className="flex flex-wrap items-center gap-x-3 gap-y-2 border-b border-zinc-100 px-4 py-2.5">
        <h2 className="font-mono text-sm font-semibold text-zinc-900">{pool.name}</h2>
        <span className="rounded bg-zinc-100 px-1.5 py-px text-xs text-zinc-700 ring-1 ring-zinc-200">
          {pool.scope === 'cluster' ? `cluster ${pool.scopeName}` : `host ${pool.scopeName}`}
        </span>
        <span className="truncate font-mono text-xs text-zinc-500" title="Directory on each host">
          {pool.path}
        </span>
        {volumes && (
          <span className="text-xs text-zinc-500 tabular-nums" data-testid="pool-volume-summary">
            {`${volumes.length} ${volumes.length === 1 ? 'volume' : 'volumes'} · ${formatSize(virtual)} virtual · ${formatSize(used)} allocated`}
          </span>
        )}
        <div className="ml-auto flex gap-2">
          <button
            type="button"
            data-testid="volume-create"
            className={btn.secondary}
            disabled={!volumes}
            onClick={() => setDialog('volume')}
          >
            <PlusIcon />
            New volume
          </button>
          {pool.name !== 'default' && (
            <button type="button" className={btn.danger} onClick={() => setDialog('delete')}>
              Delete pool
            </button>
          )}
        </div>
      </div>
      {remove.error && (
        <div className="px-4 pt-3">
          <ErrorText error={remove.error} testId="pool-error" />
        </div>
      )}
      <table className={`w-full border-separate border-spacing-0 text-sm ${stacked.table}`}>
        <TableHead columns={HOST_COLUMNS} className={stacked.thead} />
        <tbody className={stacked.tbody}>
          {pool.hosts.map((h) => (
            <PoolHostRow key={h.hostId} host={h} />
          ))}
          {pool.hosts.length === 0 && <EmptyRow colSpan={HOST_COLUMNS.length}>No host holds this pool.</EmptyRow>}
        </tbody>
      </table>
      <VolumeTable pool={pool} pools={pools} track={track} />
      {dialog === 'volume' && <VolumeCreateDialog pool={pool} track={track} onClose={() => setDialog(null)} />}
      {dialog === 'delete' && (
        <ConfirmDialog
          title={`Delete pool ${pool.name}?`}
          confirmLabel="Delete pool"
          requireText={pool.name}
          onCancel={() => setDialog(null)}
          onConfirm={() => {
            setDialog(null);
            remove.mutate({ name: pool.name });
          }}
        >
          The pool is removed from libvirt on {pool.hosts.length === 1 ? 'its host' : 'every host'}. Its directory and
          the files in it stay. Refused while a VM uses one of its volumes.
        </ConfirmDialog>
      )}
    </section>
  );
}

function PoolHostRow({ host }: { host: PoolView['hosts'][number] }) {
  const lv = host.libvirt;
  const percent = lv && lv.capacityBytes > 0 ? (lv.allocationBytes / lv.capacityBytes) * 100 : 0;
  return (
    <tr data-testid="pool-host" data-host={host.hostName} className={stacked.tr}>
      <td data-label="Host" className={`${td} font-medium text-zinc-800`}>
        {host.hostName}
      </td>
      <td data-label="State" className={td}>
        {lv ? (
          <span className={lv.state === 'running' ? 'text-emerald-700' : 'text-amber-700'}>{lv.state}</span>
        ) : (
          <span className="text-zinc-500" title={host.error ?? undefined}>
            {host.status === 'online' ? (host.error ?? 'unknown') : 'host offline'}
          </span>
        )}
      </td>
      <td data-label="Used" className={td}>
        {lv && (
          <span data-testid="pool-used">
            <UsageBar
              percent={percent}
              label={`${formatSize(lv.allocationBytes)} of ${formatSize(lv.capacityBytes)}`}
              title="The filesystem's use, as libvirt reports it for a directory pool"
            />
          </span>
        )}
      </td>
      <td data-label="Free" className={`${td} text-xs text-zinc-600 tabular-nums`} data-testid="pool-free">
        {lv ? `${formatSize(lv.availableBytes)} free` : '—'}
      </td>
    </tr>
  );
}
