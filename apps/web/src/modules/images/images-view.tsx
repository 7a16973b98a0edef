'use client';

import { useMutation, useQuery } from '@tanstack/react-query';
import { formatFromName, IMAGE_FORMATS, type ImageFormat } from '@vireo/protocol';
import Link from 'next/link';
import { useId, useState } from 'react';
import { useTRPC } from '@/trpc/client';
import type { HostView, RouterOutputs } from '@/trpc/types';
import { ProgressBar } from '../ui/bars';
import { btn, inputClass } from '../ui/buttons';
import { ErrorText } from '../ui/error-text';
import { formatBytes, formatDateTime } from '../ui/format';
import { EmptyRow, PageHeader, stacked, TableHead, td as tdBase } from '../ui/page-header';
import { PoolSelect } from './pool-select';
import { Field, HostSelect, UploadForm, volumeNameOf } from './upload-form';

type UploadRow = RouterOutputs['image']['uploads'][number];

const td = `${tdBase} ${stacked.td}`;
const COLUMNS = ['Name', 'Format', 'Size', 'Host', 'Pool', 'State', 'Started'];

/** Images: upload from this browser, import from a path on a host, and what was sent lately. */
export function ImagesView() {
  const trpc = useTRPC();
  const hosts = useQuery(trpc.host.list.queryOptions());
  const limits = useQuery(trpc.image.limits.queryOptions());
  const hostList = [...(hosts.data ?? [])].sort((a, b) => a.name.localeCompare(b.name));
  return (
    <>
      <PageHeader
        title="Images"
        meta={
          limits.data && (
            <span>
              Virtual size up to {formatBytes(limits.data.maxVirtualBytes)} · files up to{' '}
              {formatBytes(limits.data.maxUploadBytes)}
            </span>
          )
        }
      />
      <div className="min-h-0 flex-1 space-y-4 overflow-auto bg-zinc-50 p-4">
        {hosts.error && <ErrorText error={hosts.error} />}
        <UploadForm hosts={hostList} />
        <ImportForm hosts={hostList} />
        <RecentUploads />
      </div>
    </>
  );
}

function ImportForm({ hosts }: { hosts: HostView[] }) {
  const trpc = useTRPC();
  const ids = useId();
  const [hostId, setHostId] = useState('');
  const [sourcePath, setSourcePath] = useState('');
  const [pool, setPool] = useState('default');
  const [name, setName] = useState('');
  const [format, setFormat] = useState<ImageFormat>('qcow2');
  const run = useMutation(trpc.image.import.mutationOptions());
  const taskId = run.data?.taskId;
  const task = useQuery({
    ...trpc.task.byId.queryOptions({ taskId: taskId ?? '' }),
    enabled: !!taskId,
    refetchInterval: (q) => (q.state.data && ['succeeded', 'failed'].includes(q.state.data.state) ? false : 500),
  });
  const t = task.data;

  function pathChanged(p: string) {
    setSourcePath(p);
    const base = p.split('/').pop() ?? '';
    setName(volumeNameOf(base));
    const guessed = formatFromName(base);
    if (guessed) setFormat(guessed);
  }

  return (
    <section className="rounded-lg border border-zinc-200 bg-white p-4" data-testid="image-import">
      <h2 className="mb-3 text-sm font-semibold text-zinc-900">Import from a path on a host</h2>
      <form
        className="grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-3"
        onSubmit={(e) => {
          e.preventDefault();
          run.mutate({ hostId, sourcePath, pool, name, format });
        }}
      >
        <Field label="Host" htmlFor={`${ids}-host`}>
          <HostSelect id={`${ids}-host`} hosts={hosts} value={hostId} onChange={setHostId} />
        </Field>
        <Field label="Path on the host (inside its import directories)" htmlFor={`${ids}-path`}>
          <input
            id={`${ids}-path`}
            className={inputClass}
            placeholder="/var/lib/vireo/import/debian.qcow2"
            value={sourcePath}
            onChange={(e) => pathChanged(e.target.value)}
          />
        </Field>
        <Field label="Storage pool" htmlFor={`${ids}-pool`}>
          <PoolSelect id={`${ids}-pool`} testId="import-pool" hostId={hostId} value={pool} onChange={setPool} />
        </Field>
        <Field label="Volume name" htmlFor={`${ids}-name`}>
          <input id={`${ids}-name`} className={inputClass} value={name} onChange={(e) => setName(e.target.value)} />
        </Field>
        <Field label="Format (checked on the host)" htmlFor={`${ids}-format`}>
          <select
            id={`${ids}-format`}
            className={inputClass}
            value={format}
            onChange={(e) => setFormat(e.target.value as ImageFormat)}
          >
            {IMAGE_FORMATS.map((f) => (
              <option key={f} value={f}>
                {f}
              </option>
            ))}
          </select>
        </Field>
        <div className="flex items-end">
          <button
            type="submit"
            className={btn.primary}
            disabled={
              !hostId ||
              !sourcePath ||
              !pool ||
              !name ||
              run.isPending ||
              (!!t && !['succeeded', 'failed'].includes(t.state))
            }
          >
            Import
          </button>
        </div>
      </form>
      <div className="mt-3 space-y-2" aria-live="polite">
        {run.error && <ErrorText error={run.error} />}
        {t && (
          <div data-testid="import-task" data-state={t.state}>
            <ProgressBar
              percent={t.state === 'succeeded' ? 100 : t.progress}
              failed={t.state === 'failed'}
              done={t.state === 'succeeded'}
            />
            <p className="mt-1 text-xs text-zinc-600">{t.state === 'failed' ? '' : (t.message ?? t.state)}</p>
            {t.state === 'failed' && <ErrorText error={new Error(t.errorMessage ?? 'Import failed.')} />}
          </div>
        )}
      </div>
    </section>
  );
}

function RecentUploads() {
  const trpc = useTRPC();
  const uploads = useQuery({ ...trpc.image.uploads.queryOptions(), refetchInterval: 5000 });
  return (
    <section className="overflow-hidden rounded-lg border border-zinc-200 bg-white">
      <h2 className="border-b border-zinc-200 px-4 py-2 text-sm font-semibold text-zinc-900">Recent uploads</h2>
      {uploads.error && (
        <div className="p-3">
          <ErrorText error={uploads.error} />
        </div>
      )}
      <table className={`w-full border-separate border-spacing-0 text-sm ${stacked.table}`}>
        <TableHead columns={COLUMNS} className={stacked.thead} />
        <tbody className={stacked.tbody}>
          {(uploads.data ?? []).map((u) => (
            <UploadLine key={u.id} u={u} />
          ))}
          {uploads.data?.length === 0 && <EmptyRow colSpan={COLUMNS.length}>No uploads yet.</EmptyRow>}
        </tbody>
      </table>
    </section>
  );
}

const STATE_LOOK: Record<string, string> = {
  done: 'text-emerald-700',
  failed: 'text-red-700',
  cancelled: 'text-zinc-500',
  open: 'text-sky-700',
  committing: 'text-sky-700',
};

function UploadLine({ u }: { u: UploadRow }) {
  return (
    <tr data-testid="upload-row" data-name={u.name} data-state={u.state} className={`hover:bg-zinc-50 ${stacked.tr}`}>
      <td className={`${td} font-medium text-zinc-900`} data-label="Name">
        {u.name}
      </td>
      <td className={td} data-label="Format">
        {u.format}
      </td>
      <td className={`${td} tabular-nums`} data-label="Size">
        {formatBytes(u.sizeBytes)}
      </td>
      <td className={td} data-label="Host">
        {u.hostName ?? '—'}
      </td>
      <td className={td} data-label="Pool">
        {/* The pool's volume list on the Storage page (an installed image is one of its volumes). */}
        <Link
          href={`/storage#pool-${u.pool}`}
          className="text-sky-700 hover:underline"
          data-testid="upload-pool-link"
          title={`Volumes of pool ${u.pool}`}
        >
          {u.pool}
        </Link>
      </td>
      <td className={td} data-label="State">
        <span className={`font-medium ${STATE_LOOK[u.state] ?? ''}`}>
          {u.state === 'open' ? 'in progress' : u.state}
        </span>
        {u.errorMessage && (
          <div className="max-w-md text-xs whitespace-normal text-red-700" data-testid="upload-row-error">
            {u.errorMessage}
          </div>
        )}
      </td>
      <td className={`${td} text-zinc-600`} data-label="Started">
        {formatDateTime(typeof u.createdAt === 'string' ? u.createdAt : new Date(u.createdAt).toISOString())}
      </td>
    </tr>
  );
}
