'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useEffect, useId, useRef, useState } from 'react';
import { useTRPC } from '@/trpc/client';
import { btn, inputClass } from '../ui/buttons';
import { Dialog } from '../ui/dialog';
import { ErrorText } from '../ui/error-text';
import { formatSize, parseSize } from './storage-format';
import type { TrackTask } from './storage-tasks';
import type { PoolView } from './storage-view';

type Volume = NonNullable<PoolView['volumes']>[number];

/** A labelled control: `children` renders it with the id the label points at. */
function Field({ label, hint, children }: { label: string; hint?: ReactNode; children: (id: string) => ReactNode }) {
  const id = useId();
  return (
    <div className="space-y-1">
      <label htmlFor={id} className="block text-xs font-medium text-zinc-700">
        {label}
      </label>
      {children(id)}
      {hint && <span className="block text-xs text-zinc-500">{hint}</span>}
    </div>
  );
}

/** A form dialog: Enter submits, Escape closes; the first field takes focus. */
function FormDialog({
  title,
  submitLabel,
  busy,
  canSubmit,
  error,
  testId,
  onSubmit,
  onClose,
  children,
}: {
  title: string;
  submitLabel: string;
  busy: boolean;
  canSubmit: boolean;
  error: unknown;
  testId: string;
  onSubmit: () => void;
  onClose: () => void;
  children: ReactNode;
}) {
  const formId = useId();
  const formRef = useRef<HTMLFormElement>(null);
  useEffect(() => {
    // After Dialog's own effect (a child's runs first), so the first field wins over the frame.
    formRef.current?.querySelector<HTMLElement>('input, select')?.focus();
  }, []);
  return (
    <Dialog
      title={title}
      testId={testId}
      onClose={onClose}
      footer={
        <>
          <button type="button" className={btn.secondary} onClick={onClose}>
            Cancel
          </button>
          <button
            type="submit"
            form={formId}
            data-testid="dialog-submit"
            className={btn.primary}
            disabled={busy || !canSubmit}
          >
            {busy ? 'Working…' : submitLabel}
          </button>
        </>
      }
    >
      <form
        ref={formRef}
        id={formId}
        className="space-y-3"
        onSubmit={(e) => {
          e.preventDefault();
          if (canSubmit && !busy) onSubmit();
        }}
      >
        {children}
        <ErrorText error={error} testId="dialog-error" />
      </form>
    </Dialog>
  );
}

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

export function PoolCreateDialog({ onClose }: { onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const targets = useQuery(trpc.storage.targets.queryOptions());
  const clusters = targets.data ?? [];
  const hosts = clusters.flatMap((c) => c.hosts);
  const [name, setName] = useState('');
  const [path, setPath] = useState('');
  const [scope, setScope] = useState<'cluster' | 'host'>('cluster');
  const [owner, setOwner] = useState('');
  const ownerId = owner || (scope === 'cluster' ? clusters[0]?.id : hosts[0]?.id) || '';
  const create = useMutation(
    trpc.storage.createPool.mutationOptions({
      onSuccess: () => {
        void queryClient.invalidateQueries({ queryKey: trpc.storage.list.queryKey() });
        onClose();
      },
    }),
  );
  return (
    <FormDialog
      title="New storage pool"
      submitLabel="Create pool"
      testId="pool-create-dialog"
      busy={create.isPending}
      canSubmit={name.length > 0 && path.startsWith('/') && ownerId !== ''}
      error={create.error}
      onClose={onClose}
      onSubmit={() =>
        create.mutate(
          scope === 'cluster' ? { scope, clusterId: ownerId, name, path } : { scope, hostId: ownerId, name, path },
        )
      }
    >
      <Field label="Name" hint="a-z 0-9 _ . - ; the libvirt pool name on every host.">
        {(id) => (
          <input
            id={id}
            className={`${inputClass} font-mono`}
            value={name}
            onChange={(e) => setName(e.target.value)}
            spellCheck={false}
            autoComplete="off"
          />
        )}
      </Field>
      <Field label="Directory" hint="Absolute path; created on each host if missing.">
        {(id) => (
          <input
            id={id}
            className={`${inputClass} font-mono`}
            value={path}
            onChange={(e) => setPath(e.target.value)}
            spellCheck={false}
            autoComplete="off"
            placeholder="/var/lib/vireo/pools/fast"
          />
        )}
      </Field>
      <Field
        label="Where"
        hint={
          scope === 'cluster'
            ? 'Every host of the cluster must see the same directory (a shared filesystem).'
            : 'One host only.'
        }
      >
        {(id) => (
          <div className="flex gap-2">
            <select
              id={id}
              className={`${inputClass} w-32`}
              value={scope}
              onChange={(e) => {
                setScope(e.target.value as 'cluster' | 'host');
                setOwner('');
              }}
            >
              <option value="cluster">Cluster</option>
              <option value="host">Host</option>
            </select>
            <select
              aria-label={scope === 'cluster' ? 'Cluster' : 'Host'}
              className={inputClass}
              value={ownerId}
              onChange={(e) => setOwner(e.target.value)}
            >
              {scope === 'cluster'
                ? clusters.map((c) => (
                    <option key={c.id} value={c.id}>
                      {c.name}
                    </option>
                  ))
                : hosts.map((h) => (
                    <option key={h.id} value={h.id}>
                      {h.name}
                    </option>
                  ))}
            </select>
          </div>
        )}
      </Field>
    </FormDialog>
  );
}
