'use client';

import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { useTRPC } from '@/trpc/client';
import { inputClass } from '../ui/buttons';
import { Field, FormDialog } from '../ui/form-dialog';
import { formatSize, parseSize } from './storage-format';
import type { TrackTask } from './storage-tasks';
import type { PoolView } from './storage-view';

type Volume = NonNullable<PoolView['volumes']>[number];

const SIZE_HINT = 'A number with a unit: 512M, 2G, 1.5 GiB (MiB when none).';

export function VolumeCreateDialog({
  pool,
  track,
  onClose,
}: {
  pool: PoolView;
  track: TrackTask;
  onClose: () => void;
}) {
  const trpc = useTRPC();
  const [name, setName] = useState('');
  const [format, setFormat] = useState<'qcow2' | 'raw'>('qcow2');
  const [size, setSize] = useState('1G');
  const bytes = parseSize(size);
  const create = useMutation(
    trpc.storage.createVolume.mutationOptions({
      onSuccess: ({ taskId }) => {
        track(taskId, `Create ${name} in ${pool.name}`);
        onClose();
      },
    }),
  );
  return (
    <FormDialog
      title={`New volume in ${pool.name}`}
      submitLabel="Create volume"
      testId="volume-create-dialog"
      busy={create.isPending}
      canSubmit={name.length > 0 && bytes !== null}
      error={create.error}
      onClose={onClose}
      onSubmit={() => create.mutate({ pool: pool.name, name, format, capacityBytes: bytes ?? 0 })}
    >
      <Field label="Name" hint="Letters, digits, _ . - ; it becomes the file name.">
        {(id) => (
          <input
            id={id}
            data-testid="volume-name"
            className={`${inputClass} font-mono`}
            value={name}
            onChange={(e) => setName(e.target.value)}
            spellCheck={false}
            autoComplete="off"
          />
        )}
      </Field>
      <Field label="Format">
        {(id) => (
          <select
            id={id}
            data-testid="volume-format"
            className={inputClass}
            value={format}
            onChange={(e) => setFormat(e.target.value as 'qcow2' | 'raw')}
          >
            <option value="qcow2">qcow2 (thin, supports linked clones)</option>
            <option value="raw">raw (sparse file)</option>
          </select>
        )}
      </Field>
      <Field
        label="Virtual size"
        hint={bytes ? `${formatSize(bytes)}; space is allocated only as it is written.` : SIZE_HINT}
      >
        {(id) => (
          <input
            id={id}
            data-testid="volume-size-input"
            className={inputClass}
            value={size}
            onChange={(e) => setSize(e.target.value)}
            aria-invalid={bytes === null}
          />
        )}
      </Field>
    </FormDialog>
  );
}

export function VolumeResizeDialog({
  pool,
  volume,
  track,
  onClose,
}: {
  pool: PoolView;
  volume: Volume;
  track: TrackTask;
  onClose: () => void;
}) {
  const trpc = useTRPC();
  const [size, setSize] = useState(formatSize(volume.capacityBytes * 2).replace(' ', ''));
  const bytes = parseSize(size);
  const resize = useMutation(
    trpc.storage.resizeVolume.mutationOptions({
      onSuccess: ({ taskId }) => {
        track(taskId, `Resize ${volume.name} to ${formatSize(bytes ?? 0)}`);
        onClose();
      },
    }),
  );
  const grows = bytes !== null && bytes > volume.capacityBytes;
  return (
    <FormDialog
      title={`Resize ${volume.name}`}
      submitLabel="Resize"
      testId="volume-resize-dialog"
      busy={resize.isPending}
      canSubmit={grows}
      error={resize.error}
      onClose={onClose}
      onSubmit={() => resize.mutate({ pool: pool.name, name: volume.name, capacityBytes: bytes ?? 0 })}
    >
      <p>
        Now {formatSize(volume.capacityBytes)} virtual. Volumes only grow; the guest must extend its partition itself.
      </p>
      <Field
        label="New virtual size"
        hint={grows ? formatSize(bytes) : `Larger than ${formatSize(volume.capacityBytes)}. ${SIZE_HINT}`}
      >
        {(id) => (
          <input
            id={id}
            data-testid="volume-resize-input"
            className={inputClass}
            value={size}
            onChange={(e) => setSize(e.target.value)}
            aria-invalid={!grows}
          />
        )}
      </Field>
    </FormDialog>
  );
}

export function VolumeCloneDialog({
  pool,
  pools,
  volume,
  track,
  onClose,
}: {
  pool: PoolView;
  pools: PoolView[];
  volume: Volume;
  track: TrackTask;
  onClose: () => void;
}) {
  const trpc = useTRPC();
  const stem = volume.name.replace(/\.(qcow2|raw|img)$/, '');
  const [name, setName] = useState(`${stem}-clone.qcow2`);
  const [mode, setMode] = useState<'linked' | 'full'>('linked');
  const [format, setFormat] = useState<'qcow2' | 'raw'>('qcow2');
  const [target, setTarget] = useState(pool.name);
  const clone = useMutation(
    trpc.storage.cloneVolume.mutationOptions({
      onSuccess: ({ taskId }) => {
        track(taskId, `${mode === 'linked' ? 'Linked clone' : 'Full copy'} ${name} of ${volume.name}`);
        onClose();
      },
    }),
  );
  return (
    <FormDialog
      title={`Clone ${volume.name}`}
      submitLabel={mode === 'linked' ? 'Create linked clone' : 'Copy'}
      testId="volume-clone-dialog"
      busy={clone.isPending}
      canSubmit={name.length > 0}
      error={clone.error}
      onClose={onClose}
      onSubmit={() =>
        clone.mutate({ pool: target, name, source: { pool: pool.name, name: volume.name }, mode, format })
      }
    >
      <Field label="Name">
        {(id) => (
          <input
            id={id}
            data-testid="clone-name"
            className={`${inputClass} font-mono`}
            value={name}
            onChange={(e) => setName(e.target.value)}
            spellCheck={false}
            autoComplete="off"
          />
        )}
      </Field>
      <fieldset className="space-y-1">
        <legend className="text-xs font-medium text-zinc-700">Kind</legend>
        <label className="flex items-start gap-2">
          <input type="radio" name="mode" checked={mode === 'linked'} onChange={() => setMode('linked')} />
          <span>
            Linked clone: a qcow2 over this volume, made at once; this volume then cannot be deleted while the clone
            exists.
          </span>
        </label>
        <label className="flex items-start gap-2">
          <input type="radio" name="mode" checked={mode === 'full'} onChange={() => setMode('full')} />
          <span>Full copy: independent, takes as long as copying {formatSize(volume.allocationBytes)}.</span>
        </label>
      </fieldset>
      {mode === 'full' && (
        <Field label="Format of the copy">
          {(id) => (
            <select
              id={id}
              className={inputClass}
              value={format}
              onChange={(e) => setFormat(e.target.value as 'qcow2' | 'raw')}
            >
              <option value="qcow2">qcow2</option>
              <option value="raw">raw</option>
            </select>
          )}
        </Field>
      )}
      <Field label="Into pool">
        {(id) => (
          <select id={id} className={inputClass} value={target} onChange={(e) => setTarget(e.target.value)}>
            {pools.map((p) => (
              <option key={p.name} value={p.name}>
                {p.name}
              </option>
            ))}
          </select>
        )}
      </Field>
    </FormDialog>
  );
}
