'use client';

import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { vlanInterfaceNames } from '@vireo/protocol';
import { useTRPC } from '@/trpc/client';
import type { RouterOutputs } from '@/trpc/types';
import { Section } from '../alerts/alerts-view';
import { btn, inputClass } from '../ui/buttons';
import { ConfirmDialog } from '../ui/confirm-dialog';
import { ErrorText } from '../ui/error-text';
import { formatDateTime } from '../ui/format';
import { EmptyRow, PageHeader, stacked, TableHead, td as tdBase } from '../ui/page-header';
import { Pill } from '../ui/status-pill';
import { NetworkForm } from './network-form';
import { SecurityGroups } from './security-groups';
import { Field, POLL_MS, useInvalidateNetworks } from './shared';

type NetworkView = RouterOutputs['network']['list'][number];
const td = `${tdBase} ${stacked.td}`;
/** The networks page: networks with their per-host state, the selected one's leases, security groups. */
export function NetworksView() {
  const trpc = useTRPC();
  const list = useQuery({ ...trpc.network.list.queryOptions(), refetchInterval: POLL_MS });
  const [selected, setSelected] = useState<string | null>(null);
  const [adding, setAdding] = useState(false);
  const [deleting, setDeleting] = useState<NetworkView | null>(null);
  const invalidate = useInvalidateNetworks();
  const remove = useMutation(
    trpc.network.delete.mutationOptions({
      onSuccess: () => {
        setDeleting(null);
        void invalidate();
      },
    }),
  );
  const current = list.data?.find((n) => n.id === selected) ?? list.data?.[0];
  const columns = ['Name', 'Mode', 'Network', 'DHCP range', 'Hosts', 'Actions'];

  return (
    <>
      <PageHeader
        title="Networks"
        meta={list.data && <span data-testid="networks-count">{list.data.length} networks</span>}
        actions={
          <button type="button" className={btn.primary} data-testid="network-add" onClick={() => setAdding(true)}>
            Add network
          </button>
        }
      />
      <div className="min-h-0 flex-1 overflow-auto bg-zinc-50 p-2 sm:p-4">
        <div className="space-y-4">
          <Section title="Networks" testId="networks">
            {adding && <NetworkForm onDone={() => setAdding(false)} />}
            <ErrorText error={list.error ?? remove.error} testId="network-error" />
            <table className={`w-full border-separate border-spacing-0 text-sm ${stacked.table}`}>
              <TableHead columns={columns} className={stacked.thead} />
              <tbody className={stacked.tbody}>
                {list.data?.map((n) => (
                  <tr
                    key={n.id}
                    data-testid="network-row"
                    data-network={n.name}
                    className={`${stacked.tr} cursor-pointer ${n.id === current?.id ? 'bg-sky-50/60' : 'hover:bg-zinc-50'}`}
                    onClick={() => setSelected(n.id)}
                  >
                    <td className={`${td} font-medium text-zinc-900`} data-label="Name">
                      {n.name}
                      <span className="ml-2 font-mono text-xs text-zinc-400">{n.libvirtName}</span>
                    </td>
                    <td className={td} data-label="Mode">
                      {n.mode}
                      {n.vlan ? ` · VLAN ${n.vlan}` : ''}
                      <span className="ml-1 text-xs text-zinc-500">
                        ({n.scope === 'cluster' ? 'cluster' : 'one host'})
                      </span>
                    </td>
                    <td className={`${td} font-mono text-xs`} data-label="Network" data-testid="network-where">
                      {n.cidr ??
                        (n.vlan
                          ? `VLAN ${n.vlan} on ${n.bridge} → ${vlanInterfaceNames({ parent: n.bridge, tag: n.vlan }).bridge}`
                          : `bridge ${n.bridge}`)}
                    </td>
                    <td className={`${td} font-mono text-xs`} data-label="DHCP range">
                      {n.dhcpStart ? `${n.dhcpStart} – ${n.dhcpEnd}` : '—'}
                    </td>
                    <td className={td} data-label="Hosts">
                      <span className="inline-flex flex-wrap gap-1">
                        {n.hosts.map((h) => (
                          <HostState key={h.hostId} state={h} />
                        ))}
                      </span>
                    </td>
                    <td className={`${td} text-right`} data-label="Actions">
                      <button
                        type="button"
                        className={btn.danger}
                        data-testid="network-delete"
                        onClick={(e) => {
                          e.stopPropagation();
                          setDeleting(n);
                        }}
                      >
                        Delete
                      </button>
                    </td>
                  </tr>
                ))}
                {list.isPending && <EmptyRow colSpan={columns.length}>Loading networks…</EmptyRow>}
                {list.data?.length === 0 && <EmptyRow colSpan={columns.length}>No networks yet.</EmptyRow>}
              </tbody>
            </table>
          </Section>
          {current && <NetworkDetail network={current} />}
          <SecurityGroups />
        </div>
      </div>
      {deleting && (
        <ConfirmDialog
          title={`Delete network “${deleting.name}”?`}
          confirmLabel="Delete network"
          testId="network-delete-dialog"
          onCancel={() => setDeleting(null)}
          onConfirm={() => remove.mutate({ networkId: deleting.id })}
        >
          It is stopped and undefined on every host. Refused while a VM on any host has a NIC on it.
        </ConfirmDialog>
      )}
    </>
  );
}

function HostState({ state }: { state: NetworkView['hosts'][number] }) {
  const label =
    state.status === 'ok'
      ? `${state.hostName}: ${state.active ? 'active' : 'inactive'}`
      : `${state.hostName}: ${state.status}`;
  const tone = state.status === 'ok' ? (state.active ? 'green' : 'amber') : state.status === 'offline' ? 'grey' : 'red';
  return (
    <span
      title={'message' in state ? state.message : undefined}
      data-testid="network-host-state"
      data-host={state.hostName}
    >
      <Pill tone={tone} label={label} />
    </span>
  );
}

function NetworkDetail({ network: n }: { network: NetworkView }) {
  const trpc = useTRPC();
  const dhcp = n.mode !== 'bridged';
  const leases = useQuery({
    ...trpc.network.leases.queryOptions({ networkId: n.id }),
    enabled: dhcp,
    refetchInterval: POLL_MS,
  });
  const invalidate = useInvalidateNetworks();
  const add = useMutation(
    trpc.network.addStaticLease.mutationOptions({
      onSuccess: () => {
        setForm({ mac: '', ip: '', hostname: '' });
        void invalidate();
      },
    }),
  );
  const remove = useMutation(trpc.network.removeStaticLease.mutationOptions({ onSuccess: invalidate }));
  const [form, setForm] = useState({ mac: '', ip: '', hostname: '' });
  if (!dhcp) {
    return (
      <Section title={`${n.name}: addresses`} testId="network-detail">
        <p className="px-3 py-3 text-sm text-zinc-600">
          {n.vlan ? (
            <>
              VLAN {n.vlan} on <span className="font-mono">{n.bridge}</span>: each host carries it on{' '}
              <span className="font-mono">{vlanInterfaceNames({ parent: n.bridge, tag: n.vlan }).sub}</span> in the
              bridge <span className="font-mono">{vlanInterfaceNames({ parent: n.bridge, tag: n.vlan }).bridge}</span>
            </>
          ) : (
            <>
              Bridged to the host bridge <span className="font-mono">{n.bridge}</span>
            </>
          )}
          : addresses come from that network's own DHCP server, not from Vireo.
        </p>
      </Section>
    );
  }
  return (
    <div className="grid gap-4 lg:grid-cols-2">
      <Section title={`${n.name}: DHCP leases (live)`} testId="network-leases">
        <table className={`w-full border-separate border-spacing-0 text-sm ${stacked.table}`}>
          <TableHead columns={['MAC', 'IP', 'Hostname', 'Host', 'Expires']} className={stacked.thead} />
          <tbody className={stacked.tbody}>
            {leases.data?.map((l) => (
              <tr key={`${l.hostId}-${l.mac}-${l.ip}`} data-testid="lease-row" className={stacked.tr}>
                <td className={`${td} font-mono text-xs`} data-label="MAC">
                  {l.mac}
                </td>
                <td className={`${td} font-mono text-xs`} data-label="IP">
                  {l.ip}/{l.prefix}
                </td>
                <td className={td} data-label="Hostname">
                  {l.hostname || '—'}
                </td>
                <td className={td} data-label="Host">
                  {l.hostName}
                </td>
                <td className={td} data-label="Expires">
                  {formatDateTime(new Date(l.expiresAt * 1000).toISOString())}
                </td>
              </tr>
            ))}
            {leases.data?.length === 0 && (
              <EmptyRow colSpan={5}>No guest holds a lease on this network right now.</EmptyRow>
            )}
          </tbody>
        </table>
        <ErrorText error={leases.error} />
      </Section>
      <Section title={`${n.name}: static leases`} testId="static-leases">
        <table className={`w-full border-separate border-spacing-0 text-sm ${stacked.table}`}>
          <TableHead columns={['MAC', 'IP', 'Hostname', '']} className={stacked.thead} />
          <tbody className={stacked.tbody}>
            {n.staticLeases.map((l) => (
              <tr key={l.id} data-testid="static-lease-row" data-mac={l.mac} className={stacked.tr}>
                <td className={`${td} font-mono text-xs`} data-label="MAC">
                  {l.mac}
                </td>
                <td className={`${td} font-mono text-xs`} data-label="IP">
                  {l.ip}
                </td>
                <td className={td} data-label="Hostname">
                  {l.hostname ?? '—'}
                </td>
                <td className={`${td} text-right`}>
                  <button
                    type="button"
                    className={btn.ghost}
                    data-testid="static-lease-remove"
                    disabled={remove.isPending}
                    onClick={() => remove.mutate({ networkId: n.id, leaseId: l.id })}
                  >
                    Remove
                  </button>
                </td>
              </tr>
            ))}
            {n.staticLeases.length === 0 && <EmptyRow colSpan={4}>No static leases.</EmptyRow>}
          </tbody>
        </table>
        <form
          noValidate
          className="flex flex-wrap items-end gap-2 border-t border-zinc-100 p-3"
          onSubmit={(e) => {
            e.preventDefault();
            add.mutate({
              networkId: n.id,
              mac: form.mac,
              ip: form.ip,
              ...(form.hostname ? { hostname: form.hostname } : {}),
            });
          }}
        >
          <div className="w-40">
            <Field label="MAC">
              <input
                data-testid="static-lease-mac"
                className={inputClass}
                placeholder="52:54:00:…"
                value={form.mac}
                onChange={(e) => setForm({ ...form, mac: e.target.value })}
              />
            </Field>
          </div>
          <div className="w-32">
            <Field label="IP (outside the range)">
              <input
                data-testid="static-lease-ip"
                className={inputClass}
                value={form.ip}
                onChange={(e) => setForm({ ...form, ip: e.target.value })}
              />
            </Field>
          </div>
          <div className="w-32">
            <Field label="Hostname">
              <input
                data-testid="static-lease-hostname"
                className={inputClass}
                value={form.hostname}
                onChange={(e) => setForm({ ...form, hostname: e.target.value })}
              />
            </Field>
          </div>
          <button type="submit" className={btn.secondary} disabled={add.isPending} data-testid="static-lease-add">
            Add
          </button>
          <div className="w-full">
            <ErrorText error={add.error ?? remove.error} testId="static-lease-error" />
          </div>
        </form>
      </Section>
    </div>
  );
}
