'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useRouter } from 'next/navigation';
import { vmNameSchema } from '@vireo/protocol';
import { useEffect, useState } from 'react';
import { useTRPC } from '@/trpc/client';
import { btn, inputClass } from '../ui/buttons';
import { ErrorText } from '../ui/error-text';
import { Field } from '../ui/form-dialog';
import { firstIssue } from '../vms/vm-create-form-state';
import { formatMiB } from '../ui/format';
import { overQuota, QuotaBars, quotaKindsText } from '../quotas/quota-bars';

/**
 * New VM in the portal: a project, one of the templates published to it, a flavor, a name.
 * The project's quota shows what this VM would add before anything is sent.
 */
export function PortalCreateView() {
  const trpc = useTRPC();
  const router = useRouter();
  const overview = useQuery(trpc.portal.overview.queryOptions());
  const [projectId, setProjectId] = useState('');
  const [templateId, setTemplateId] = useState('');
  const [flavorId, setFlavorId] = useState('');
  const [name, setName] = useState('');
  const [start, setStart] = useState(true);
  /** A network card on a network published to the project, besides the template's own ('' none). */
  const [network, setNetwork] = useState('');
  const [submitted, setSubmitted] = useState(false);
  const queryClient = useQueryClient();
  // The project's use changed: the quota panels read it again.
  const refreshUse = () => queryClient.invalidateQueries({ queryKey: trpc.portal.overview.queryKey() });
  const create = useMutation(
    trpc.vm.create.mutationOptions({
      onSuccess: ({ vmId }) => {
        void refreshUse();
        router.push(`/portal/vms/${vmId}`);
      },
    }),
  );
  // Over the quota, the same VM goes to the project's approvers as a request.
  const request = useMutation(
    trpc.vmRequest.submit.mutationOptions({ onSuccess: () => router.push('/portal/requests?submitted=1') }),
  );

  const data = overview.data;
  // A viewer may look at a project's VMs but not add to them.
  const creatable = (data?.projects ?? []).filter((p) => p.role !== 'viewer');
  // The first project, template and flavor are chosen for the member; each can be changed.
  useEffect(() => {
    if (!data) return;
    const first = data.projects.find((p) => p.role !== 'viewer');
    if (!projectId && first) setProjectId(first.id);
    if (!flavorId && data.flavors[0]) setFlavorId(data.flavors[0].id);
  }, [data, projectId, flavorId]);
  const project = creatable.find((p) => p.id === projectId);
  const templates = (data?.templates ?? []).filter((t) => !project || t.projectIds.includes(project.id));
  useEffect(() => {
    if (templates.length && !templates.some((t) => t.id === templateId)) setTemplateId(templates[0]?.id ?? '');
  }, [templates, templateId]);
  const flavor = data?.flavors.find((f) => f.id === flavorId);
  const networks = (data?.networks ?? []).filter((n) => !project || n.projectIds.includes(project.id));
  const nic = networks.some((n) => n.libvirtName === network) ? network : '';
  // A restricted template is for the project's owners; a member asks an approver for the VM.
  const manages = (p: typeof project) => p?.role === 'owner' || p?.role === 'admin';
  const needsApproval = (t: { restricted: boolean }) => t.restricted && !manages(project);
  const restricted = templates.some((t) => t.id === templateId && needsApproval(t));

  // The API's own rule for VM names (@vireo/protocol), so the form and the server agree.
  const nameIssue = firstIssue(vmNameSchema, name) ?? null;
  const template = templates.find((t) => t.id === templateId);
  // The template's disks count against the disk quota at their virtual size (whole GiB).
  const diskGiB = template?.diskBytes ? Math.ceil(template.diskBytes / 1024 ** 3) : 0;
  const adding = flavor ? { Vms: 1, Vcpus: flavor.vcpus, MemoryMiB: flavor.memoryMiB, DiskGiB: diskGiB } : undefined;
  const over = project && adding ? overQuota(project.quota, project.used, adding) : [];
  const asRequest = over.length > 0 || restricted;
  const sending = create.isPending || request.isPending;
  const canSend = Boolean(templateId && flavor && !nameIssue && !sending);

  function submit() {
    setSubmitted(true);
    if (!canSend || !flavor) return;
    const input = {
      name: name.trim(),
      templateId,
      vcpus: flavor.vcpus,
      memoryMiB: flavor.memoryMiB,
      start,
      ...(nic ? { nics: [{ network: nic }] } : {}),
      ...(project ? { projectId: project.id } : {}),
    };
    if (asRequest) request.mutate(input);
    else create.mutate(input);
  }

  if (overview.error)
    return (
      <div className="p-4">
        <ErrorText error={overview.error} />
      </div>
    );
  if (!data) return <p className="p-4 text-sm text-zinc-500">Loading…</p>;
  return (
    <form
      className="mx-auto flex max-w-5xl flex-col gap-4 p-4 lg:flex-row lg:items-start"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
      noValidate
      data-testid="portal-create-form"
    >
      <div className="flex min-w-0 flex-1 flex-col gap-4">
        <h1 className="text-lg font-semibold text-zinc-900">New virtual machine</h1>
        {creatable.length > 1 && (
          <div className="max-w-md">
            <Field label="Project">
              {(id) => (
                <select
                  id={id}
                  className={inputClass}
                  value={projectId}
                  onChange={(e) => setProjectId(e.target.value)}
                  data-testid="portal-create-project"
                >
                  {creatable.map((p) => (
                    <option key={p.id} value={p.id}>
                      {p.name}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          </div>
        )}
        <fieldset>
          <legend className="mb-1.5 text-sm font-medium text-zinc-800">Template</legend>
          {templates.length === 0 ? (
            <p
              className="rounded-md border border-dashed border-zinc-300 p-3 text-sm text-zinc-600"
              data-testid="portal-no-templates"
            >
              No template is published to {project ? `project ${project.name}` : 'your projects'} yet. Ask an
              administrator to publish one.
            </p>
          ) : (
            <div className="grid gap-2 sm:grid-cols-2">
              {templates.map((t) => (
                <Choice
                  key={t.id}
                  name="template"
                  checked={templateId === t.id}
                  onChange={() => setTemplateId(t.id)}
                  title={t.name}
                  detail={t.description || (t.kind === 'disk' ? 'Disk image' : 'Kernel and initrd')}
                  badge={needsApproval(t) ? 'Needs approval' : undefined}
                  testId={`portal-template-${t.name}`}
                />
              ))}
            </div>
          )}
        </fieldset>
        <fieldset>
          <legend className="mb-1.5 text-sm font-medium text-zinc-800">Size</legend>
          <div className="grid gap-2 sm:grid-cols-3">
            {data.flavors.map((f) => (
              <Choice
                key={f.id}
                name="flavor"
                checked={flavorId === f.id}
                onChange={() => setFlavorId(f.id)}
                title={f.name}
                detail={`${f.vcpus} vCPU · ${formatMiB(f.memoryMiB)}${f.description ? ` · ${f.description}` : ''}`}
                testId={`portal-flavor-${f.name}`}
              />
            ))}
          </div>
        </fieldset>
        {networks.length > 0 && (
          <div className="max-w-md">
            <Field label="Extra network card" hint="Besides the template's own; only networks your project offers.">
              {(id) => (
                <select
                  id={id}
                  className={inputClass}
                  value={nic}
                  onChange={(e) => setNetwork(e.target.value)}
                  data-testid="portal-create-network"
                >
                  <option value="">None</option>
                  {networks.map((n) => (
                    <option key={n.libvirtName} value={n.libvirtName}>
                      {n.name}
                    </option>
                  ))}
                </select>
              )}
            </Field>
          </div>
        )}
        <div className="max-w-md">
          <Field
            label="Name"
            hint={
              submitted &&
              nameIssue && (
                <span className="text-red-700" role="alert">
                  {nameIssue}
                </span>
              )
            }
          >
            {(id) => (
              <input
                id={id}
                className={inputClass}
                value={name}
                onChange={(e) => setName(e.target.value)}
                aria-invalid={submitted && nameIssue ? true : undefined}
                autoComplete="off"
                data-testid="portal-create-name"
                placeholder="e.g. web-1"
              />
            )}
          </Field>
        </div>
        <label className="flex items-center gap-2 text-sm text-zinc-700">
          <input type="checkbox" checked={start} onChange={(e) => setStart(e.target.checked)} />
          Start it once it is created
        </label>
        {restricted && (
          <p className="max-w-xl text-sm text-amber-800" data-testid="portal-needs-approval">
            This template is restricted: the VM is sent as a request, and the project's approvers create it if they
            agree.
          </p>
        )}
        {over.length > 0 && (
          <p className="max-w-xl text-sm text-amber-800" data-testid="portal-over-quota">
            This VM would take project {project?.name} past its quota ({quotaKindsText(over)}). You can send it as a
            request: the project's approvers see it and create it if they agree.
          </p>
        )}
        <ErrorText error={create.error ?? request.error} testId="portal-create-error" />
        <div className="flex gap-2">
          <button type="submit" className={btn.primary} disabled={sending} data-testid="portal-create-submit">
            {asRequest
              ? request.isPending
                ? 'Sending…'
                : 'Submit request'
              : create.isPending
                ? 'Creating…'
                : 'Create VM'}
          </button>
          <Link href="/portal" className={btn.ghost}>
            Cancel
          </Link>
        </div>
      </div>
      {project && (
        <aside className="w-full rounded-lg border border-zinc-200 bg-white p-3 lg:w-80" aria-label="Quota">
          <h2 className="mb-2 text-sm font-semibold text-zinc-900">Project {project.name}: quota</h2>
          <QuotaBars quota={project.quota} used={project.used} adding={adding} />
        </aside>
      )}
    </form>
  );
}

function Choice({
  name,
  checked,
  onChange,
  title,
  detail,
  badge,
  testId,
}: {
  name: string;
  checked: boolean;
  onChange: () => void;
  title: string;
  detail: string;
  /** A short mark beside the title ("Needs approval"). */
  badge?: string | undefined;
  testId: string;
}) {
  return (
    <label
      className={`flex cursor-pointer items-start gap-2 rounded-lg border bg-white p-3 text-sm has-focus-visible:outline-2 has-focus-visible:outline-sky-600 ${checked ? 'border-teal-600 ring-1 ring-teal-600' : 'border-zinc-200 hover:border-zinc-300'}`}
      data-testid={testId}
    >
      <input type="radio" name={name} checked={checked} onChange={onChange} className="mt-0.5" />
      <span className="min-w-0">
        <span className="flex flex-wrap items-center gap-x-2 font-medium text-zinc-900">
          {title}
          {badge && (
            <span className="rounded bg-amber-50 px-1.5 text-xs font-normal text-amber-800" data-testid="portal-badge">
              {badge}
            </span>
          )}
        </span>
        <span className="block text-xs text-zinc-600">{detail}</span>
      </span>
    </label>
  );
}
