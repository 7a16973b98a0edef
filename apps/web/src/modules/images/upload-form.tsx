'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { formatFromName, IMAGE_FORMATS, type ImageFormat, volumeNameSchema } from '@vireo/protocol';
import { useId, useRef, useState } from 'react';
import { useTRPC } from '@/trpc/client';
import type { HostView } from '@/trpc/types';
import { ProgressBar } from '../ui/bars';
import { btn, inputClass } from '../ui/buttons';
import { ErrorText } from '../ui/error-text';
import { formatBytes } from '../ui/format';
import { PoolSelect } from './pool-select';
import { resumeKey, sendFile, UploadError, type UploadProgress } from './upload-client';

type Phase =
  | { t: 'idle' }
  | { t: 'sending'; progress: UploadProgress; resumedFrom: number }
  | { t: 'checking' }
  | { t: 'done'; name: string }
  | { t: 'failed'; error: unknown };

/** A name the pool takes, from a file name: odd characters become "-". */
export function volumeNameOf(fileName: string): string {
  return fileName
    .replace(/[^A-Za-z0-9._-]/g, '-')
    .replace(/^[^A-Za-z0-9]+/, '')
    .slice(0, 128);
}

export function Field({ label, htmlFor, children }: { label: string; htmlFor: string; children: React.ReactNode }) {
  return (
    <div className="flex min-w-0 flex-col gap-1">
      <label htmlFor={htmlFor} className="text-xs font-medium text-zinc-600">
        {label}
      </label>
      {children}
    </div>
  );
}

export function HostSelect({
  id,
  hosts,
  value,
  onChange,
  disabled = false,
}: {
  id: string;
  hosts: HostView[];
  value: string;
  onChange: (v: string) => void;
  disabled?: boolean;
}) {
  return (
    <select id={id} className={inputClass} value={value} disabled={disabled} onChange={(e) => onChange(e.target.value)}>
      <option value="">Choose a host…</option>
      {hosts.map((h) => (
        <option key={h.id} value={h.id} disabled={h.status !== 'online'}>
          {h.name}
          {h.status !== 'online' ? ' (offline)' : ''}
        </option>
      ))}
    </select>
  );
}

const mib = (bytesPerSecond: number) => `${(bytesPerSecond / 1024 / 1024).toFixed(1)} MiB/s`;

/**
 * Upload form: file, host and pool, name and format (guessed from the file name; the host checks
 * the content). An upload interrupted earlier (tab closed, network lost for good) is resumed from
 * the host's offset when the same file is chosen again for the same pool.
 */
export function UploadForm({ hosts }: { hosts: HostView[] }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const ids = useId();
  const [file, setFile] = useState<File | null>(null);
  const [hostId, setHostId] = useState('');
  const [pool, setPool] = useState('default');
  const [name, setName] = useState('');
  const [format, setFormat] = useState<ImageFormat>('qcow2');
  const [phase, setPhase] = useState<Phase>({ t: 'idle' });
  const abort = useRef<AbortController | null>(null);
  const uploadId = useRef<string | null>(null);
  const refreshList = () => queryClient.invalidateQueries({ queryKey: trpc.image.uploads.queryKey() });
  const create = useMutation(trpc.image.createUpload.mutationOptions());
  const commit = useMutation(trpc.image.commitUpload.mutationOptions());
  const cancel = useMutation(trpc.image.cancelUpload.mutationOptions({ onSettled: refreshList }));

  const nameCheck = name ? volumeNameSchema.safeParse(name) : null;
  const busy = phase.t === 'sending' || phase.t === 'checking';
  const ready = file && hostId && pool && name && nameCheck?.success && !busy;

  function choose(f: File | null) {
    setFile(f);
    if (!f) return;
    setName(volumeNameOf(f.name));
    const guessed = formatFromName(f.name);
    if (guessed) setFormat(guessed);
  }

  /** The upload to continue for this file, if one was left open on the server. */
  async function resumable(f: File): Promise<{ id: string; offset: number } | null> {
    const id = localStorage.getItem(resumeKey(f, hostId, pool));
    if (!id) return null;
    try {
      const found = await queryClient.fetchQuery(trpc.image.upload.queryOptions({ uploadId: id }, { staleTime: 0 }));
      if (found.upload.state !== 'open' || found.upload.name !== name || found.upload.format !== format) return null;
      return { id, offset: found.offset };
    } catch {
      return null;
    }
  }

  async function start() {
    if (!file) return;
    const key = resumeKey(file, hostId, pool);
    const controller = new AbortController();
    abort.current = controller;
    try {
      const previous = await resumable(file);
      const id = previous?.id ?? (await create.mutateAsync({ hostId, pool, name, format, sizeBytes: file.size })).id;
      uploadId.current = id;
      localStorage.setItem(key, id);
      void refreshList();
      const from = previous?.offset ?? 0;
      setPhase({ t: 'sending', progress: { sent: from, total: file.size, rate: 0 }, resumedFrom: from });
      await sendFile({
        file,
        uploadId: id,
        from,
        signal: controller.signal,
        onProgress: (progress) => setPhase({ t: 'sending', progress, resumedFrom: from }),
      });
      setPhase({ t: 'checking' });
      const { volume } = await commit.mutateAsync({ uploadId: id });
      localStorage.removeItem(key);
      setPhase({ t: 'done', name: volume.name });
    } catch (err) {
      if (controller.signal.aborted) {
        localStorage.removeItem(key);
        setPhase({ t: 'idle' });
      } else {
        // A refused image is gone from the host: nothing to resume. Other failures stay resumable.
        setPhase({ t: 'failed', error: err });
      }
    } finally {
      abort.current = null;
      void refreshList();
    }
  }

  function stop() {
    abort.current?.abort();
    if (uploadId.current) cancel.mutate({ uploadId: uploadId.current });
  }

  const percent =
    phase.t === 'sending' && phase.progress.total > 0 ? (phase.progress.sent / phase.progress.total) * 100 : 0;

  return (
    <section className="rounded-lg border border-zinc-200 bg-white p-4" data-testid="image-upload">
      <h2 className="mb-3 text-sm font-semibold text-zinc-900">Upload an image</h2>
      <form
        className="grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-3"
        onSubmit={(e) => {
          e.preventDefault();
          if (ready) void start();
        }}
      >
        <Field label="File (qcow2, raw .img/.raw, or ISO)" htmlFor={`${ids}-file`}>
          <input
            id={`${ids}-file`}
            data-testid="upload-file"
            type="file"
            accept=".qcow2,.img,.raw,.iso"
            disabled={busy}
            className="text-sm text-zinc-700 file:mr-2 file:rounded-md file:border file:border-zinc-300 file:bg-white file:px-2.5 file:py-1 file:text-sm"
            onChange={(e) => choose(e.target.files?.[0] ?? null)}
          />
        </Field>
        <Field label="Host" htmlFor={`${ids}-host`}>
          <HostSelect id={`${ids}-host`} hosts={hosts} value={hostId} onChange={setHostId} disabled={busy} />
        </Field>
        <Field label="Storage pool (free space on that host)" htmlFor={`${ids}-pool`}>
          <PoolSelect
            id={`${ids}-pool`}
            testId="upload-pool"
            hostId={hostId}
            value={pool}
            disabled={busy}
            onChange={setPool}
          />
        </Field>
        <Field label="Volume name" htmlFor={`${ids}-name`}>
          <input
            id={`${ids}-name`}
            data-testid="upload-name"
            className={inputClass}
            value={name}
            disabled={busy}
            aria-invalid={nameCheck?.success === false}
            onChange={(e) => setName(e.target.value)}
          />
          {nameCheck?.success === false && (
            <span className="text-xs text-red-700">{nameCheck.error.issues[0]?.message}</span>
          )}
        </Field>
        <Field label="Format (checked on the host)" htmlFor={`${ids}-format`}>
          <select
            id={`${ids}-format`}
            data-testid="upload-format"
            className={inputClass}
            value={format}
            disabled={busy}
            onChange={(e) => setFormat(e.target.value as ImageFormat)}
          >
            {IMAGE_FORMATS.map((f) => (
              <option key={f} value={f}>
                {f}
              </option>
            ))}
          </select>
        </Field>
        <div className="flex items-end gap-2">
          <button type="submit" data-testid="upload-start" className={btn.primary} disabled={!ready}>
            Upload{file ? ` ${formatBytes(file.size)}` : ''}
          </button>
          {phase.t === 'sending' && (
            <button type="button" data-testid="upload-cancel" className={btn.secondary} onClick={stop}>
              Cancel
            </button>
          )}
        </div>
      </form>
      <div className="mt-3 space-y-2" aria-live="polite">
        {phase.t === 'sending' && (
          <div data-testid="upload-progress" data-sent={phase.progress.sent} data-total={phase.progress.total}>
            <ProgressBar percent={percent} />
            <div className="mt-1 flex flex-wrap gap-x-4 text-xs text-zinc-600 tabular-nums">
              <span data-testid="upload-bytes">
                {formatBytes(phase.progress.sent)} of {formatBytes(phase.progress.total)} ({percent.toFixed(0)} %)
              </span>
              <span data-testid="upload-rate">{mib(phase.progress.rate)}</span>
              {phase.resumedFrom > 0 && <span>resumed from {formatBytes(phase.resumedFrom)}</span>}
            </div>
            {phase.progress.retrying && <p className="mt-1 text-xs text-amber-700">{phase.progress.retrying}</p>}
          </div>
        )}
        {phase.t === 'checking' && (
          <p className="text-sm text-zinc-600" data-testid="upload-checking">
            All bytes sent; the host is checking the image…
          </p>
        )}
        {phase.t === 'done' && (
          <p className="text-sm text-emerald-700" data-testid="upload-done">
            {phase.name} is in pool {pool}.
          </p>
        )}
        {phase.t === 'failed' && (
          <div data-testid="upload-error">
            <ErrorText error={phase.error} />
            {/* Bytes that did not get through stay on the host; a refused image is gone. */}
            {phase.error instanceof UploadError && (
              <p className="mt-1 text-xs text-zinc-600">
                Press Upload again with the same file: it continues where the host stopped.
              </p>
            )}
          </div>
        )}
      </div>
    </section>
  );
}
