'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTRPC } from '@/trpc/client';
import type { TemplateListItem } from '@/trpc/types';
import { btn } from '../ui/buttons';
import { ConfirmDialog } from '../ui/confirm-dialog';
import { ErrorText } from '../ui/error-text';

type Version = TemplateListItem['versions'][number];

const small = 'h-6 px-2 text-xs';

/** What a delete did with the bases: all gone, or some kept (no longer bases) and why. */
function Outcome({ kept }: { kept: { volume: string; reason: string }[] }) {
  if (kept.length === 0) return null;
  return (
    <p className="text-xs text-amber-800" data-testid="template-delete-kept">
      Kept as plain volumes (delete them under Storage): {kept.map((k) => `${k.volume}: ${k.reason}`).join('; ')}
    </p>
  );
}

function BaseList({ versions }: { versions: Version[] }) {
  return (
    <ul className="list-disc space-y-0.5 pl-5 text-left whitespace-normal" data-testid="template-delete-list">
      {versions.map((v) => (
        <li key={v.id}>
          Version {v.version}
          {v.disks.length > 0 && (
            <>
              {' '}
              and its base volume{v.disks.length > 1 ? 's' : ''}{' '}
              <span className="font-mono text-xs break-all">
                {v.disks.map((d) => `${d.pool}/${d.volume}`).join(', ')}
              </span>
            </>
          )}
        </li>
      ))}
    </ul>
  );
}

const usedTitle = (n: number) => `${n} VM(s) were made from it: delete them first`;

/**
 * Deletes one version and its bases. Offered while no VM was made from it (the server checks
 * again and names the VMs when it refuses).
 */
export function DeleteVersionButton({ template, version }: { template: TemplateListItem; version: Version }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const remove = useMutation(
    trpc.template.deleteVersion.mutationOptions({
      onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.template.list.queryKey() }),
    }),
  );
  return (
    <div className="flex flex-col items-end">
      <button
        type="button"
        className={`${btn.danger} ${small}`}
        data-testid="template-version-delete"
        disabled={remove.isPending || version.vmCount > 0}
        title={version.vmCount > 0 ? usedTitle(version.vmCount) : undefined}
        onClick={() => setConfirming(true)}
      >
        {remove.isPending ? 'Deleting…' : 'Delete'}
      </button>
      <ErrorText error={remove.error} testId="template-delete-error" />
      {remove.data && <Outcome kept={remove.data.keptVolumes} />}
      {confirming && (
        // Rendered inside a table cell: its nowrap and alignment must not reach the dialog.
        <div className="text-left whitespace-normal">
          <ConfirmDialog
            title={`Delete version ${version.version} of ${template.name}?`}
            confirmLabel="Delete version"
            testId="template-delete-dialog"
            onCancel={() => setConfirming(false)}
            onConfirm={() => {
              setConfirming(false);
              remove.mutate({ versionId: version.id });
            }}
          >
            <div className="space-y-2">
              <p>This goes, from Vireo and from the storage pool:</p>
              <BaseList versions={[version]} />
              <p className="text-xs text-zinc-500">A base that another template version also uses stays.</p>
            </div>
          </ConfirmDialog>
        </div>
      )}
    </div>
  );
}

/** Deletes a whole template: every version and their bases; the name must be typed. */
export function DeleteTemplateButton({ template }: { template: TemplateListItem }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const remove = useMutation(
    trpc.template.delete.mutationOptions({
      onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.template.list.queryKey() }),
    }),
  );
  const vms = template.versions.reduce((n, v) => n + v.vmCount, 0);
  return (
    <div className="flex flex-col items-end">
      <button
        type="button"
        className={btn.danger}
        data-testid="template-delete"
        disabled={remove.isPending || vms > 0}
        title={vms > 0 ? usedTitle(vms) : undefined}
        onClick={() => setConfirming(true)}
      >
        {remove.isPending ? 'Deleting…' : 'Delete template'}
      </button>
      <ErrorText error={remove.error} testId="template-delete-error" />
      {remove.data && <Outcome kept={remove.data.keptVolumes} />}
      {confirming && (
        <ConfirmDialog
          title={`Delete template ${template.name}?`}
          confirmLabel="Delete template"
          requireText={template.name}
          testId="template-delete-dialog"
          onCancel={() => setConfirming(false)}
          onConfirm={() => {
            setConfirming(false);
            remove.mutate({ templateId: template.id });
          }}
        >
          <div className="space-y-2">
            <p>The template goes, with:</p>
            {template.versions.length > 0 ? (
              <BaseList versions={template.versions} />
            ) : (
              <p>no versions (its kernel and disk files stay on the hosts)</p>
            )}
            <p className="text-xs text-zinc-500">A base that another template also uses stays.</p>
          </div>
        </ConfirmDialog>
      )}
    </div>
  );
}
