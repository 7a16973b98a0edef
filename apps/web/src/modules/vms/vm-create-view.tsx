'use client';

import { useMutation, useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { type ReactNode, useEffect, useRef, useState } from 'react';
import { useTRPC } from '@/trpc/client';
import type { TemplateListItem } from '@/trpc/types';
import { btn, inputClass } from '../ui/buttons';
import { ErrorText } from '../ui/error-text';
import { formatMiB } from '../ui/format';
import { offlineReason, useLive } from '../live/live-provider';
import { PageHeader } from '../ui/page-header';
import {
  type CreateVmDraft,
  type CreateVmField,
  type FieldErrors,
  HARDWARE_DEFAULTS,
  toInput,
  validateDraft,
} from './vm-create-form-state';
import { useSession } from '../auth/use-session';
import { EXTRAS_DEFAULTS, type ExtrasDraft, extrasIssue, VmCreateExtras, withExtras } from './vm-create-extras';
import { VmCreateHardware } from './vm-create-hardware';
import { errorInfo } from '@/trpc/errors';
import { vmCost } from '../quotas/quota-bars';
import { type NeedsApproval, VmCreateProject } from '../quotas/vm-create-project';

const EMPTY: CreateVmDraft = {
  name: '',
  templateId: '',
  templateVersionId: '',
  diskMode: 'linked',
  vcpus: '',
  memoryMiB: '',
  start: true,
  ...HARDWARE_DEFAULTS,
};

/** A disk template's version decides the firmware (its disk boots one way) and the sizing. */
function withTemplate(draft: CreateVmDraft, template: TemplateListItem | undefined, versionId = ''): CreateVmDraft {
  if (!template) return { ...draft, templateId: '', templateVersionId: '' };
  const version = template.versions.find((v) => v.id === versionId) ?? template.versions[0];
  return {
    ...draft,
    templateId: template.id,
    templateVersionId: versionId,
    vcpus: String(version?.defaultVcpus ?? template.defaultVcpus),
    memoryMiB: String(version?.defaultMemoryMiB ?? template.defaultMemoryMiB),
    ...(version ? { firmware: version.firmware } : {}),
  };
}

export function VmCreateView() {
  const trpc = useTRPC();
  const router = useRouter();
  const templates = useQuery(trpc.template.list.queryOptions());
  const [draft, setDraft] = useState<CreateVmDraft>(EMPTY);
  const [touched, setTouched] = useState<Partial<Record<CreateVmField, boolean>>>({});
  const [submitted, setSubmitted] = useState(false);
  const [extras, setExtras] = useState<ExtrasDraft>(EXTRAS_DEFAULTS);
  const { user } = useSession();
  const nameRef = useRef<HTMLInputElement>(null);
  useEffect(() => nameRef.current?.focus(), []);

  const create = useMutation(
    trpc.vm.create.mutationOptions({
      onSuccess: ({ vmId, taskId }) => router.push(`/vms/${vmId}?task=${encodeURIComponent(taskId)}`),
    }),
  );
  // A VM in a project over its quota, or from a restricted template, is asked for instead.
  const [projectId, setProjectId] = useState('');
  const [needsApproval, setNeedsApproval] = useState<NeedsApproval>(null);
  const submitRequest = useMutation(
    trpc.vmRequest.submit.mutationOptions({
      onSuccess: (r) => router.push(`/requests?submitted=${encodeURIComponent(r.id)}`),
    }),
  );

  // Pick the first template (and its sizing) once templates arrive. Sizing typed before they
  // arrived stays: the defaults only fill what is still empty (a slow list must not turn a
  // typed 256 into the template's 128).
  const firstTemplate = templates.data?.[0];
  useEffect(() => {
    if (!firstTemplate) return;
    setDraft((d) => {
      if (d.templateId) return d;
      const picked = withTemplate(d, firstTemplate);
      return { ...picked, vcpus: d.vcpus || picked.vcpus, memoryMiB: d.memoryMiB || picked.memoryMiB };
    });
  }, [firstTemplate]);

  const errors: FieldErrors = validateDraft(draft);
  // The template's disks count against a project's disk quota (read from a host, once per version).
  const templateDisk = useQuery(
    trpc.quota.templateDisk.queryOptions(
      {
        templateId: draft.templateId,
        ...(draft.templateVersionId ? { templateVersionId: draft.templateVersionId } : {}),
      },
      { enabled: Boolean(projectId && draft.templateId), staleTime: Number.POSITIVE_INFINITY, retry: false },
    ),
  );
  const cost =
    errors.vcpus || errors.memoryMiB || errors.diskSizeGiB ? null : vmCost(toInput(draft), templateDisk.data?.bytes);
  // The server refused over quota (another VM took the room meanwhile): offer the request too.
  const asRequest = needsApproval !== null || errorInfo(create.error).code === 'QUOTA_EXCEEDED';
  const pending = create.isPending || submitRequest.isPending;
  const shown = (field: CreateVmField) => (submitted || touched[field] ? errors[field] : undefined);
  const template = templates.data?.find((t) => t.id === draft.templateId);
  const set = (patch: Partial<CreateVmDraft>) => setDraft((d) => ({ ...d, ...patch }));
  const blur = (field: CreateVmField) => () => setTouched((t) => ({ ...t, [field]: true }));
  const hints: Partial<Record<CreateVmField, string>> = {
    name: 'Letters, digits, “.”, “-” and “_”; up to 63 characters.',
    templateId: template?.description || undefined,
  };
  /** Ties the field's error (or hint) to its input, so screen readers read it with the field. */
  const a11y = (field: CreateVmField) => ({
    'aria-invalid': Boolean(shown(field)),
    'aria-describedby': shown(field) || hints[field] ? messageId(field) : undefined,
  });
  const live = useLive();
  const [notSent, setNotSent] = useState<string | null>(null);

  return (
    <>
      <PageHeader
        title={
          <span className="flex items-center gap-2">
            <Link href="/vms" className="font-normal text-zinc-500 hover:text-zinc-900">
              Virtual machines
            </Link>
            <span className="text-zinc-300">/</span>
            New virtual machine
          </span>
        }
      />
      <div className="min-h-0 flex-1 overflow-auto bg-zinc-50 p-4">
        <form
          noValidate
          data-testid="vm-create-form"
          className="max-w-xl rounded-lg border border-zinc-200 bg-white shadow-xs"
          onSubmit={(e) => {
            e.preventDefault();
            setSubmitted(true);
            if (Object.keys(errors).length > 0 || extrasIssue(extras)) return;
            // Offline, nothing is sent (nor queued to run later): say so at once.
            const reason = offlineReason(live);
            setNotSent(reason);
            if (reason) return;
            const input = { ...withExtras(toInput(draft), extras), ...(projectId ? { projectId } : {}) };
            if (asRequest && projectId) submitRequest.mutate(input);
            else create.mutate(input);
          }}
        >
          <div className="space-y-4 p-4">
            <Field label="Name" field="name" error={shown('name')} hint={hints.name}>
              <input
                id="vm-name"
                data-testid="vm-name"
                ref={nameRef}
                className={`${inputClass} font-mono`}
                autoComplete="off"
                spellCheck={false}
                {...a11y('name')}
                value={draft.name}
                onChange={(e) => set({ name: e.target.value })}
                onBlur={blur('name')}
              />
            </Field>
            <Field label="Template" field="templateId" error={shown('templateId')} hint={hints.templateId}>
              <select
                id="vm-templateId"
                data-testid="vm-template"
                className={inputClass}
                {...a11y('templateId')}
                value={draft.templateId}
                disabled={!templates.data}
                onChange={(e) =>
                  setDraft((d) =>
                    withTemplate(
                      d,
                      templates.data?.find((t) => t.id === e.target.value),
                    ),
                  )
                }
                onBlur={blur('templateId')}
              >
                {!templates.data && <option value="">Loading templates…</option>}
                {templates.data?.length === 0 && <option value="">No templates</option>}
                {templates.data?.map((t) => (
                  <option key={t.id} value={t.id}>
                    {`${t.name} — ${t.defaultVcpus} vCPU, ${formatMiB(t.defaultMemoryMiB)}`}
                  </option>
                ))}
              </select>
            </Field>
            {templates.error && <ErrorText error={templates.error} />}
            {template?.kind === 'disk' && (
              <div className="grid grid-cols-2 gap-4">
                <label className="block space-y-1 text-xs font-medium text-zinc-700">
                  Version
                  <select
                    data-testid="vm-template-version"
                    className={inputClass}
                    value={draft.templateVersionId}
                    onChange={(e) => setDraft((d) => withTemplate(d, template, e.target.value))}
                  >
                    <option value="">{`Latest (v${template.versions[0]?.version ?? '?'})`}</option>
                    {template.versions.map((v) => (
                      <option key={v.id} value={v.id}>{`v${v.version} — ${v.firmware.toUpperCase()}`}</option>
                    ))}
                  </select>
                </label>
                <label className="block space-y-1 text-xs font-medium text-zinc-700">
                  Template disks
                  <select
                    data-testid="vm-disk-mode"
                    className={inputClass}
                    value={draft.diskMode}
                    onChange={(e) => set({ diskMode: e.target.value === 'full' ? 'full' : 'linked' })}
                  >
                    <option value="linked">Linked clones (fast, share the base)</option>
                    <option value="full">Full copies (independent)</option>
                  </select>
                </label>
              </div>
            )}
            <div className="grid grid-cols-2 gap-4">
              <Field label="vCPUs" field="vcpus" error={shown('vcpus')}>
                <input
                  id="vm-vcpus"
                  data-testid="vm-vcpus"
                  type="number"
                  inputMode="numeric"
                  min={1}
                  className={`${inputClass} tabular-nums`}
                  {...a11y('vcpus')}
                  value={draft.vcpus}
                  onChange={(e) => set({ vcpus: e.target.value })}
                  onBlur={blur('vcpus')}
                />
              </Field>
              <Field label="Memory (MiB)" field="memoryMiB" error={shown('memoryMiB')}>
                <input
                  id="vm-memoryMiB"
                  data-testid="vm-memory"
                  type="number"
                  inputMode="numeric"
                  min={64}
                  step={64}
                  className={`${inputClass} tabular-nums`}
                  {...a11y('memoryMiB')}
                  value={draft.memoryMiB}
                  onChange={(e) => set({ memoryMiB: e.target.value })}
                  onBlur={blur('memoryMiB')}
                />
              </Field>
            </div>
            <VmCreateProject
              projectId={projectId}
              setProjectId={(id) => {
                setProjectId(id);
                create.reset();
              }}
              templateId={draft.templateId}
              cost={cost}
              templateDiskUnknown={templateDisk.isError}
              onNeedsApproval={setNeedsApproval}
            />
            <VmCreateHardware
              draft={draft}
              set={set}
              shown={shown}
              blur={blur}
              firmwareFromTemplate={template?.kind === 'disk'}
            />
            <VmCreateExtras
              draft={extras}
              set={(patch) => setExtras((d) => ({ ...d, ...patch }))}
              hasNic={draft.extraNic}
              isAdmin={user?.role === 'admin'}
              error={submitted ? extrasIssue(extras) : undefined}
            />
            <label className="flex items-center gap-2 text-sm text-zinc-800">
              <input
                data-testid="vm-start-after"
                type="checkbox"
                className="size-4 accent-teal-700"
                checked={draft.start}
                onChange={(e) => set({ start: e.target.checked })}
              />
              Start after creation
            </label>
            {notSent && (
              <p
                role="alert"
                data-testid="form-not-sent"
                className="rounded-md border border-amber-300 bg-amber-50 px-3 py-2 text-sm text-amber-900"
              >
                {notSent}
              </p>
            )}
            <ErrorText error={create.error} testId="form-error" />
            <ErrorText error={submitRequest.error} testId="request-error" />
          </div>
          <div className="flex items-center justify-end gap-2 rounded-b-lg border-t border-zinc-100 bg-zinc-50 px-4 py-2.5">
            <Link href="/vms" className={btn.secondary}>
              Cancel
            </Link>
            <button
              type="submit"
              data-testid="vm-create-submit"
              className={btn.primary}
              disabled={pending || create.isSuccess || submitRequest.isSuccess}
            >
              {pending
                ? 'Sending…'
                : create.isSuccess || submitRequest.isSuccess
                  ? 'Opening…'
                  : asRequest && projectId
                    ? 'Submit request'
                    : 'Create VM'}
            </button>
          </div>
        </form>
      </div>
    </>
  );
}

const messageId = (field: CreateVmField) => `vm-${field}-message`;

function Field({
  label,
  field,
  error,
  hint,
  children,
}: {
  label: string;
  field: CreateVmField;
  error: string | undefined;
  hint?: string | undefined;
  children: ReactNode;
}) {
  return (
    <div className="space-y-1">
      <label htmlFor={`vm-${field}`} className="block text-xs font-medium text-zinc-700">
        {label}
      </label>
      {children}
      {error ? (
        <p id={messageId(field)} data-testid={`field-error-${field}`} className="text-xs text-red-700">
          {error}
        </p>
      ) : (
        hint && (
          <p id={messageId(field)} className="text-xs text-zinc-600">
            {hint}
          </p>
        )
      )}
    </div>
  );
}
