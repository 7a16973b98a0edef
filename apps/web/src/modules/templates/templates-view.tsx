'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { type FormEvent, useState } from 'react';
import { useTRPC } from '@/trpc/client';
import type { TemplateListItem } from '@/trpc/types';
import { Section } from '../alerts/alerts-view';
import { useSession } from '../auth/use-session';
import { btn, inputClass } from '../ui/buttons';
import { ErrorText } from '../ui/error-text';
import { formatDateTime, formatMiB } from '../ui/format';
import { EmptyRow, PageHeader, stacked, TableHead, td as tdBase } from '../ui/page-header';
import { DeleteTemplateButton, DeleteVersionButton } from './template-delete';
import { RolesPanel } from '../permissions/roles-panel';
import { TemplateRestricted } from './template-restricted';

const td = `${tdBase} ${stacked.td}`;
const COLUMNS = ['Version', 'Firmware', 'Disks (bases)', 'NICs', 'Sizing', 'VMs', 'Published'];
const ADMIN_COLUMNS = [...COLUMNS, ''];

/**
 * Templates: each disk template with its versions (newest first), their base volumes, NICs and
 * the VMs made from each. Admins create a template from volumes of a pool and publish versions.
 */
export function TemplatesView() {
  const trpc = useTRPC();
  const { user } = useSession();
  const list = useQuery({ ...trpc.template.list.queryOptions(), refetchInterval: 5_000 });
  const [form, setForm] = useState<{ templateId: string | null } | null>(null);
  const [fromVm, setFromVm] = useState(false);
  // One template's role bindings open at a time (a role there lets its holder see and use it).
  const [rolesOf, setRolesOf] = useState<string | null>(null);
  const isAdmin = user?.role === 'admin';
  return (
    <>
      <PageHeader
        title="Templates"
        meta={list.data && <span data-testid="templates-count">{list.data.length} templates</span>}
        actions={
          isAdmin && (
            <div className="flex gap-2">
              <button
                type="button"
                className={btn.secondary}
                data-testid="template-from-vm"
                onClick={() => setFromVm(true)}
              >
                From a VM
              </button>
              <button
                type="button"
                className={btn.primary}
                data-testid="template-add"
                onClick={() => setForm({ templateId: null })}
              >
                New template
              </button>
            </div>
          )
        }
      />
      <div className="min-h-0 flex-1 overflow-auto bg-zinc-50 p-2 sm:p-4">
        <div className="space-y-4">
          <p className="max-w-3xl text-sm text-zinc-600">
            “From a VM” copies a stopped VM’s disks into new bases and keeps the VM. A version’s disks are read-only
            bases: new VMs get linked clones of them (or full copies) and a version is never changed. Publishing a new
            version points at new base volumes; VMs of older versions keep theirs, and a base cannot be deleted while
            its version exists.
          </p>
          {fromVm && <FromVmForm templates={list.data ?? []} onDone={() => setFromVm(false)} />}
          {form && (
            <TemplateForm templateId={form.templateId} templates={list.data ?? []} onDone={() => setForm(null)} />
          )}
          <ErrorText error={list.error} testId="templates-error" />
          {list.data?.map((t) => (
            <Section key={t.id} title={t.name} testId={`template-${t.name}`}>
              <div className="flex flex-wrap items-center gap-3 px-3 py-2 text-sm text-zinc-700">
                <span>{t.description || '—'}</span>
                {t.kind === 'kernel' && (
                  <span className="rounded bg-zinc-100 px-1.5 text-xs text-zinc-600">
                    direct kernel boot, no versions
                  </span>
                )}
                <TemplateRestricted templateId={t.id} isAdmin={isAdmin} />
                {isAdmin && (
                  <div className="ml-auto flex items-start gap-2">
                    <button
                      type="button"
                      className={btn.secondary}
                      data-testid="template-roles"
                      aria-expanded={rolesOf === t.id}
                      onClick={() => setRolesOf((id) => (id === t.id ? null : t.id))}
                    >
                      {rolesOf === t.id ? 'Hide roles' : 'Roles'}
                    </button>
                    {t.kind === 'disk' && (
                      <button
                        type="button"
                        className={btn.secondary}
                        data-testid="template-new-version"
                        onClick={() => setForm({ templateId: t.id })}
                      >
                        New version
                      </button>
                    )}
                    <DeleteTemplateButton template={t} />
                  </div>
                )}
              </div>
              {rolesOf === t.id && (
                <div className="border-t border-zinc-200 p-3">
                  <RolesPanel scopeKind="template" scopeId={t.id} scopeName={t.name} />
                </div>
              )}
              {t.kind === 'disk' && <Versions template={t} isAdmin={isAdmin} />}
            </Section>
          ))}
        </div>
      </div>
    </>
  );
}

function Versions({ template, isAdmin }: { template: TemplateListItem; isAdmin: boolean }) {
  const columns = isAdmin ? ADMIN_COLUMNS : COLUMNS;
  return (
    <table className={`w-full border-separate border-spacing-0 text-sm ${stacked.table}`}>
      <TableHead columns={columns} className={stacked.thead} />
      <tbody className={stacked.tbody}>
        {template.versions.length === 0 && <EmptyRow colSpan={columns.length}>No versions</EmptyRow>}
        {template.versions.map((v, i) => (
          <tr key={v.id} data-testid="template-version-row" data-version={v.version} className={stacked.tr}>
            <td className={`${td} font-medium`} data-label="Version">
              v{v.version}
              {i === 0 && <span className="ml-2 rounded bg-teal-50 px-1.5 text-xs text-teal-800">latest</span>}
              {v.note && <span className="ml-2 text-xs text-zinc-500">{v.note}</span>}
            </td>
            <td className={td} data-label="Firmware">
              {v.firmware.toUpperCase()}
            </td>
            <td className={`${td} font-mono text-xs`} data-label="Disks (bases)">
              {/* td's whitespace-nowrap would win over a second whitespace class here (stylesheet order) */}
              <div className="whitespace-normal break-all">
                {v.disks.map((d) => `${d.pool}/${d.volume} (${d.bus})`).join(', ')}
              </div>
            </td>
            <td className={td} data-label="NICs">
              {v.nics.length === 0 ? '—' : v.nics.map((n) => `${n.network} (${n.model})`).join(', ')}
            </td>
            <td className={`${td} tabular-nums`} data-label="Sizing">
              {v.defaultVcpus} vCPU, {formatMiB(v.defaultMemoryMiB)}
            </td>
            <td className={`${td} tabular-nums`} data-label="VMs" data-testid="template-version-vms">
              {v.vmCount}
            </td>
            <td className={td} data-label="Published">
              {formatDateTime(v.createdAt)}
            </td>
            {isAdmin && (
              <td className={td}>
                <DeleteVersionButton template={template} version={v} />
              </td>
            )}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A new template (templateId null) or the next version of one, from a volume of a pool. */
function TemplateForm({
  templateId,
  templates,
  onDone,
}: {
  templateId: string | null;
  templates: TemplateListItem[];
  onDone: () => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const current = templates.find((t) => t.id === templateId);
  const latest = current?.versions[0];
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [pool, setPool] = useState(latest?.disks[0]?.pool ?? 'default');
  const [volume, setVolume] = useState('');
  const [firmware, setFirmware] = useState<'bios' | 'uefi'>(latest?.firmware ?? 'bios');
  const [memory, setMemory] = useState(String(latest?.defaultMemoryMiB ?? 128));
  const [network, setNetwork] = useState(latest?.nics[0]?.network ?? '');
  const done = {
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: trpc.template.list.queryKey() });
      onDone();
    },
  };
  const create = useMutation(trpc.template.create.mutationOptions(done));
  const publish = useMutation(trpc.template.publishVersion.mutationOptions(done));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const version = {
      firmware,
      defaultVcpus: latest?.defaultVcpus ?? 1,
      defaultMemoryMiB: Number(memory),
      disks: [{ pool: pool.trim(), volume: volume.trim() }],
      nics: network.trim() ? [{ network: network.trim() }] : [],
    };
    if (templateId) publish.mutate({ templateId, version });
    else create.mutate({ name: name.trim(), description, version });
  };
  const label = 'block text-sm font-medium text-zinc-800';
  return (
    <form
      onSubmit={submit}
      data-testid="template-form"
      className="space-y-3 rounded-lg border border-zinc-200 bg-white p-4 shadow-xs"
    >
      <h2 className="text-sm font-semibold text-zinc-800">
        {current ? `New version of ${current.name} (v${(latest?.version ?? 0) + 1})` : 'New template'}
      </h2>
      <div className="grid gap-3 sm:grid-cols-3">
        {!current && (
          <>
            <label className={label}>
              Name
              <input
                data-testid="template-name"
                className={`${inputClass} mt-1`}
                value={name}
                onChange={(e) => setName(e.target.value)}
              />
            </label>
            <label className={`${label} sm:col-span-2`}>
              Description
              <input
                className={`${inputClass} mt-1`}
                value={description}
                onChange={(e) => setDescription(e.target.value)}
              />
            </label>
          </>
        )}
        <label className={label}>
          Pool
          <input className={`${inputClass} mt-1`} value={pool} onChange={(e) => setPool(e.target.value)} />
        </label>
        <label className={label}>
          Base volume (boot disk)
          <input
            data-testid="template-volume"
            className={`${inputClass} mt-1 font-mono`}
            placeholder="an imported image, e.g. debian-12.qcow2"
            value={volume}
            onChange={(e) => setVolume(e.target.value)}
          />
        </label>
        <label className={label}>
          Firmware
          <select
            className={`${inputClass} mt-1`}
            value={firmware}
            onChange={(e) => setFirmware(e.target.value === 'uefi' ? 'uefi' : 'bios')}
          >
            <option value="bios">BIOS</option>
            <option value="uefi">UEFI</option>
          </select>
        </label>
        <label className={label}>
          Memory (MiB)
          <input
            type="number"
            className={`${inputClass} mt-1 tabular-nums`}
            value={memory}
            onChange={(e) => setMemory(e.target.value)}
          />
        </label>
        <label className={label}>
          Network card on (optional)
          <input className={`${inputClass} mt-1`} value={network} onChange={(e) => setNetwork(e.target.value)} />
        </label>
      </div>
      <ErrorText error={create.error ?? publish.error} testId="template-form-error" />
      <div className="flex gap-2">
        <button
          type="submit"
          className={btn.primary}
          data-testid="template-submit"
          disabled={create.isPending || publish.isPending}
        >
          {current ? 'Publish version' : 'Create template'}
        </button>
        <button type="button" className={btn.secondary} onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}

/**
 * A template (or a new version) from a stopped VM. Like oVirt's "make template": the VM's disks
 * are copied into new read-only bases and the VM stays as it is.
 */
function FromVmForm({ templates, onDone }: { templates: TemplateListItem[]; onDone: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const stopped = useQuery(trpc.vm.list.queryOptions({ limit: 500, states: ['shutoff'] }));
  const [vmId, setVmId] = useState('');
  const [target, setTarget] = useState('');
  const [name, setName] = useState('');
  const [taskId, setTaskId] = useState<string | null>(null);
  const make = useMutation(
    trpc.template.fromVm.mutationOptions({
      onSuccess: (r) => {
        setTaskId(r.taskId);
        void queryClient.invalidateQueries({ queryKey: trpc.template.list.queryKey() });
      },
    }),
  );
  const submit = (e: FormEvent) => {
    e.preventDefault();
    make.mutate(target ? { vmId, templateId: target } : { vmId, name: name.trim() });
  };
  const label = 'block text-sm font-medium text-zinc-800';
  return (
    <form
      onSubmit={submit}
      data-testid="template-from-vm-form"
      className="space-y-3 rounded-lg border border-zinc-200 bg-white p-4 shadow-xs"
    >
      <h2 className="text-sm font-semibold text-zinc-800">Template from a stopped VM</h2>
      <p className="text-sm text-zinc-600">
        The VM’s disks are copied in full into new base volumes (a linked clone is flattened); the VM is kept and can be
        started again afterwards. A running VM cannot be used: shut it down first.
      </p>
      <div className="grid gap-3 sm:grid-cols-3">
        <label className={label}>
          Stopped VM
          <select className={`${inputClass} mt-1`} value={vmId} onChange={(e) => setVmId(e.target.value)}>
            <option value="">Choose…</option>
            {stopped.data?.rows.map((vm) => (
              <option key={vm.id} value={vm.id}>
                {vm.name}
              </option>
            ))}
          </select>
        </label>
        <label className={label}>
          Becomes
          <select className={`${inputClass} mt-1`} value={target} onChange={(e) => setTarget(e.target.value)}>
            <option value="">a new template</option>
            {templates
              .filter((t) => t.kind === 'disk')
              .map((t) => (
                <option key={t.id} value={t.id}>{`the next version of ${t.name}`}</option>
              ))}
          </select>
        </label>
        {!target && (
          <label className={label}>
            Name
            <input className={`${inputClass} mt-1`} value={name} onChange={(e) => setName(e.target.value)} />
          </label>
        )}
      </div>
      <ErrorText error={stopped.error ?? make.error} />
      {taskId && (
        <p className="text-sm text-teal-800">
          Copying the disks; follow it under{' '}
          <a className="underline" href="/tasks">
            Tasks
          </a>
          . The template appears here when the copy is done.
        </p>
      )}
      <div className="flex gap-2">
        <button type="submit" className={btn.primary} disabled={!vmId || make.isPending}>
          Make template
        </button>
        <button type="button" className={btn.secondary} onClick={onDone}>
          Close
        </button>
      </div>
    </form>
  );
}
