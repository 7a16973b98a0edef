'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { useTRPC } from '@/trpc/client';
import type { RouterOutputs } from '@/trpc/types';
import { Section } from '../alerts/alerts-view';
import { btn, inputClass } from '../ui/buttons';
import { ErrorText } from '../ui/error-text';
import { EmptyRow, PageHeader, stacked, TableHead, td as tdBase } from '../ui/page-header';
import { Pill } from '../ui/status-pill';

type Group = RouterOutputs['affinity']['list'][number];
const td = `${tdBase} ${stacked.td}`;

/** Affinity groups: which VMs placement keeps on one host or apart. */
export function AffinityView() {
  const trpc = useTRPC();
  const groups = useQuery(trpc.affinity.list.queryOptions());
  return (
    <>
      <PageHeader title="Affinity" meta={groups.data && <span>{groups.data.length} groups</span>} />
      <div className="min-h-0 flex-1 space-y-4 overflow-auto bg-zinc-50 p-4">
        <p className="max-w-3xl text-sm text-zinc-600">
          Placement keeps the VMs of an <b>affinity</b> group on one host and those of an <b>anti-affinity</b> group on
          different hosts. A hard rule excludes hosts that would break it (a VM is refused if no host is left); a soft
          rule only scores them lower. Rules apply when a VM is placed: joining a group does not move a VM.
        </p>
        <Section title="Groups" testId="affinity-groups">
          <NewGroup />
          <table className={`w-full border-separate border-spacing-0 text-sm ${stacked.table}`}>
            <TableHead columns={['Name', 'Rule', 'VMs', 'Add a VM', 'Hosts', 'Actions']} className={stacked.thead} />
            <tbody className={stacked.tbody}>
              {groups.data?.map((g) => (
                <GroupRow key={g.id} group={g} />
              ))}
              {groups.data?.length === 0 && <EmptyRow colSpan={6}>No affinity groups yet.</EmptyRow>}
            </tbody>
          </table>
          <ErrorText error={groups.error} />
        </Section>
      </div>
    </>
  );
}

function useInvalidate() {
  const trpc = useTRPC();
  const client = useQueryClient();
  return () => client.invalidateQueries({ queryKey: trpc.affinity.list.queryKey() });
}

function NewGroup() {
  const trpc = useTRPC();
  const invalidate = useInvalidate();
  const [name, setName] = useState('');
  const [kind, setKind] = useState<'affinity' | 'anti-affinity'>('anti-affinity');
  const [hard, setHard] = useState(true);
  const create = useMutation(
    trpc.affinity.create.mutationOptions({
      onSuccess: () => {
        setName('');
        void invalidate();
      },
    }),
  );
  return (
    <form
      noValidate
      data-testid="affinity-new"
      className="flex flex-wrap items-center gap-2 border-b border-zinc-100 px-3 py-2"
      onSubmit={(e) => {
        e.preventDefault();
        create.mutate({ name, kind, hard });
      }}
    >
      {/* Widths on wrappers: inputClass is w-full, and two width utilities do not override by order. */}
      <div className="w-48">
        <input
          data-testid="affinity-name"
          aria-label="Group name"
          className={inputClass}
          placeholder="New group name"
          value={name}
          onChange={(e) => setName(e.target.value)}
        />
      </div>
      <div className="w-52">
        <select
          data-testid="affinity-kind"
          aria-label="Rule"
          className={inputClass}
          value={kind}
          onChange={(e) => setKind(e.target.value === 'affinity' ? 'affinity' : 'anti-affinity')}
        >
          <option value="anti-affinity">Anti-affinity (apart)</option>
          <option value="affinity">Affinity (together)</option>
        </select>
      </div>
      <label className="flex items-center gap-1.5 text-sm text-zinc-800">
        <input
          data-testid="affinity-hard"
          type="checkbox"
          className="size-4 accent-teal-700"
          checked={hard}
          onChange={(e) => setHard(e.target.checked)}
        />
        Hard
      </label>
      <button type="submit" data-testid="affinity-create" className={btn.primary} disabled={create.isPending}>
        Create group
      </button>
      <ErrorText error={create.error} testId="affinity-create-error" />
    </form>
  );
}

function GroupRow({ group }: { group: Group }) {
  const trpc = useTRPC();
  const invalidate = useInvalidate();
  const remove = useMutation(trpc.affinity.delete.mutationOptions({ onSuccess: () => void invalidate() }));
  const removeVm = useMutation(trpc.affinity.removeVms.mutationOptions({ onSuccess: () => void invalidate() }));
  return (
    <tr data-testid="affinity-row" data-name={group.name} className={`align-top ${stacked.tr}`}>
      <td className={`${td} font-medium`} data-label="Name">
        {group.name}
      </td>
      <td className={td} data-label="Rule">
        <span className="flex items-center gap-1.5">
          {group.kind === 'affinity' ? 'together' : 'apart'}
          <Pill tone={group.hard ? 'amber' : 'grey'} label={group.hard ? 'hard' : 'soft'} />
        </span>
      </td>
      <td className={`${td} whitespace-normal`} data-label="VMs">
        {group.members.length === 0 && <span className="text-zinc-400">none</span>}
        <ul className="space-y-0.5">
          {group.members.map((m) => (
            <li key={m.vmId} className="flex items-center gap-2" data-testid="affinity-member">
              <Link href={`/vms/${m.vmId}`} className="text-teal-800 hover:underline">
                {m.vmName}
              </Link>
              <span className="text-xs text-zinc-500">{m.hostName ?? 'no host'}</span>
              <button
                type="button"
                className="text-xs text-zinc-500 hover:text-red-700"
                aria-label={`Remove ${m.vmName} from ${group.name}`}
                onClick={() => removeVm.mutate({ groupId: group.id, vmIds: [m.vmId] })}
              >
                remove
              </button>
            </li>
          ))}
        </ul>
      </td>
      <td className={td} data-label="Add a VM">
        <AddVm groupId={group.id} />
      </td>
      <td className={`${td} whitespace-normal`} data-label="Hosts">
        <GroupHosts group={group} />
      </td>
      <td className={td} data-label="Actions">
        <button
          type="button"
          data-testid="affinity-delete"
          className={btn.danger}
          onClick={() => remove.mutate({ groupId: group.id })}
        >
          Delete
        </button>
        <ErrorText error={remove.error ?? removeVm.error} />
      </td>
    </tr>
  );
}

/** Adds a VM by its exact name (the inventory can be large: no list of every VM here). */
function AddVm({ groupId }: { groupId: string }) {
  const trpc = useTRPC();
  const client = useQueryClient();
  const invalidate = useInvalidate();
  const [name, setName] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const add = useMutation(
    trpc.affinity.addVms.mutationOptions({
      onSuccess: () => {
        setName('');
        void invalidate();
      },
    }),
  );
  return (
    <form
      noValidate
      className="flex items-center gap-1.5"
      onSubmit={async (e) => {
        e.preventDefault();
        const wanted = name.trim();
        const page = await client.fetchQuery(trpc.vm.list.queryOptions({ name: wanted, limit: 20 }));
        const vm = page.rows.find((r) => r.name === wanted);
        setProblem(vm ? null : `No VM is named “${wanted}”.`);
        if (vm) add.mutate({ groupId, vmIds: [vm.id] });
      }}
    >
      <div className="w-40">
        <input
          data-testid="affinity-add-name"
          aria-label="VM name"
          className={`${inputClass} font-mono`}
          placeholder="VM name"
          value={name}
          onChange={(e) => setName(e.target.value)}
        />
      </div>
      <button type="submit" className={btn.secondary} disabled={!name.trim() || add.isPending}>
        Add
      </button>
      {problem && <span className="text-xs text-red-700">{problem}</span>}
      <ErrorText error={add.error} />
    </form>
  );
}

/**
 * The VM-to-host rule: ticked hosts are where members go (affinity) or what they keep off
 * (anti-affinity). None ticked: no host rule.
 */
function GroupHosts({ group }: { group: Group }) {
  const trpc = useTRPC();
  const invalidate = useInvalidate();
  const hosts = useQuery(trpc.host.list.queryOptions());
  const set = useMutation(trpc.affinity.setHosts.mutationOptions({ onSuccess: () => void invalidate() }));
  const chosen = new Set(group.hosts.map((h) => h.hostId));
  const toggle = (hostId: string, on: boolean) => {
    const next = new Set(chosen);
    if (on) next.add(hostId);
    else next.delete(hostId);
    set.mutate({ groupId: group.id, hostIds: [...next] });
  };
  return (
    <div className="space-y-0.5" data-testid="affinity-hosts">
      <p className="text-xs text-zinc-500">
        {chosen.size === 0 ? 'any host' : group.kind === 'affinity' ? 'only these:' : 'never these:'}
      </p>
      {hosts.data?.map((h) => (
        <label key={h.id} className="flex items-center gap-1.5 text-sm text-zinc-800">
          <input
            type="checkbox"
            data-testid="affinity-host"
            data-host={h.name}
            className="size-4 accent-teal-700"
            checked={chosen.has(h.id)}
            disabled={set.isPending}
            onChange={(e) => toggle(h.id, e.target.checked)}
          />
          {h.name}
        </label>
      ))}
      <ErrorText error={set.error} />
    </div>
  );
}
