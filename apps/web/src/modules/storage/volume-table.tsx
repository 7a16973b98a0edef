'use client';

import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { useTRPC } from '@/trpc/client';
import { btn } from '../ui/buttons';
import { ConfirmDialog } from '../ui/confirm-dialog';
import { ErrorText } from '../ui/error-text';
import { EmptyRow, stacked, TableHead, td as tdBase } from '../ui/page-header';
import { VolumeCloneDialog, VolumeResizeDialog } from './storage-dialogs';
import { formatSize } from './storage-format';
import type { TrackTask } from './storage-tasks';
import type { PoolView } from './storage-view';

type Volume = NonNullable<PoolView['volumes']>[number];

const COLUMNS = ['Volume', 'Format', 'Size', 'Used by', 'Backing', ''];
const td = `${tdBase} ${stacked.td}`;
const baseName = (path: string) => path.slice(path.lastIndexOf('/') + 1);

export function VolumeTable({ pool, pools, track }: { pool: PoolView; pools: PoolView[]; track: TrackTask }) {
  const trpc = useTRPC();
  const [open, setOpen] = useState<{ kind: 'resize' | 'clone' | 'delete'; volume: Volume } | null>(null);
  const remove = useMutation(
    trpc.storage.deleteVolume.mutationOptions({ onSuccess: ({ taskId }, v) => track(taskId, `Delete ${v.name}`) }),
  );
  if (!pool.volumes) {
    return <p className="px-4 py-3 text-sm text-zinc-500">Volumes cannot be read: no host of this pool answers.</p>;
  }
  return (
    <div className="border-t border-zinc-100">
      {remove.error && (
        <div className="px-4 pt-3">
          <ErrorText error={remove.error} testId="volume-error" />
        </div>
      )}
      <table className={`w-full border-separate border-spacing-0 text-sm ${stacked.table}`}>
        <TableHead columns={COLUMNS} className={stacked.thead} />
        <tbody className={stacked.tbody}>
          {pool.volumes.map((v) => (
            <tr key={v.path} data-testid="volume-row" data-name={v.name} className={`hover:bg-zinc-50 ${stacked.tr}`}>
              <td data-label="Volume" className={`${td} font-mono text-xs text-zinc-900`} title={v.path}>
                {v.name}
              </td>
              <td data-label="Format" className={`${td} text-xs text-zinc-700`}>
                {v.format || '—'}
              </td>
              <td data-label="Size" className={`${td} text-xs tabular-nums`} data-testid="volume-size">
                <span className="text-zinc-900">{formatSize(v.capacityBytes)} virtual</span>
                <span className="text-zinc-500"> · {formatSize(v.allocationBytes)} allocated</span>
              </td>
              <td data-label="Used by" className={`${td} text-xs text-zinc-700`} data-testid="volume-users">
                <UsedBy volume={v} />
              </td>
              <td data-label="Backing" className={`${td} font-mono text-xs text-zinc-600`} title={v.backingPath ?? ''}>
                {v.backingPath ? baseName(v.backingPath) : '—'}
              </td>
              <td className={`${td} text-right`}>
                <div className="flex justify-end gap-1">
                  <button type="button" className={btn.ghost} onClick={() => setOpen({ kind: 'resize', volume: v })}>
                    Resize
                  </button>
                  <button type="button" className={btn.ghost} onClick={() => setOpen({ kind: 'clone', volume: v })}>
                    Clone
                  </button>
                  <button
                    type="button"
                    data-testid="volume-delete"
                    className={`${btn.ghost} text-red-700 hover:text-red-800`}
                    onClick={() => {
                      remove.reset();
                      setOpen({ kind: 'delete', volume: v });
                    }}
                  >
                    Delete
                  </button>
                </div>
              </td>
            </tr>
          ))}
          {pool.volumes.length === 0 && <EmptyRow colSpan={COLUMNS.length}>No volumes in this pool.</EmptyRow>}
        </tbody>
      </table>
      {open?.kind === 'resize' && (
        <VolumeResizeDialog pool={pool} volume={open.volume} track={track} onClose={() => setOpen(null)} />
      )}
      {open?.kind === 'clone' && (
        <VolumeCloneDialog pool={pool} pools={pools} volume={open.volume} track={track} onClose={() => setOpen(null)} />
      )}
      {open?.kind === 'delete' && (
        <ConfirmDialog
          title={`Delete volume ${open.volume.name}?`}
          confirmLabel="Delete volume"
          testId="volume-delete-dialog"
          onCancel={() => setOpen(null)}
          onConfirm={() => {
            remove.mutate({ pool: pool.name, name: open.volume.name });
            setOpen(null);
          }}
        >
          Its data is lost. Refused while a VM uses it or it is the base of a linked clone.
        </ConfirmDialog>
      )}
    </div>
  );
}

function UsedBy({ volume }: { volume: Volume }) {
  const items = [
    ...volume.usedBy.map((u) => `${u.name} (${u.state}${u.via === 'backing' ? ', via clone' : ''}) on ${u.hostName}`),
    ...(volume.dependants.length > 0
      ? [`base of ${volume.dependants.length} clone${volume.dependants.length === 1 ? '' : 's'}`]
      : []),
  ];
  if (items.length === 0) return <span className="text-zinc-400">—</span>;
  return (
    <span title={volume.dependants.map(baseName).join(', ')} className="whitespace-normal">
      {items.join(' · ')}
    </span>
  );
}
