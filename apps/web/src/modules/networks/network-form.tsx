'use client';

import { useMutation, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { useTRPC } from '@/trpc/client';
import { btn, inputClass } from '../ui/buttons';
import { ErrorText } from '../ui/error-text';
import { Field, useInvalidateNetworks } from './shared';

/** A new cluster network; the server checks the CIDR, range and overlaps and says what is wrong. */
export function NetworkForm({ onDone }: { onDone: () => void }) {
  const trpc = useTRPC();
  const clusterList = useQuery(trpc.network.clusters.queryOptions());
  const clusters = (clusterList.data ?? []).map((c) => [c.id, `${c.datacenterName} / ${c.name}`] as const);
  const invalidate = useInvalidateNetworks();
  const create = useMutation(
    trpc.network.create.mutationOptions({
      onSuccess: () => {
        onDone();
        void invalidate();
      },
    }),
  );
  const [f, setF] = useState({
    name: '',
    clusterId: '',
    mode: 'nat',
    cidr: '',
    dhcpStart: '',
    dhcpEnd: '',
    bridge: '',
    vlan: '',
  });
  const set = (k: keyof typeof f) => (e: { target: { value: string } }) => setF({ ...f, [k]: e.target.value });
  const bridged = f.mode === 'bridged';
  const submit = () =>
    create.mutate({
      name: f.name,
      clusterId: f.clusterId || clusters[0]?.[0] || '',
      scope: 'cluster',
      mode: f.mode as 'nat' | 'isolated' | 'bridged',
      ...(bridged
        ? { bridge: f.bridge, ...(f.vlan ? { vlan: Number(f.vlan) } : {}) }
        : { cidr: f.cidr, dhcpStart: f.dhcpStart, dhcpEnd: f.dhcpEnd }),
    });
  return (
    <form
      noValidate
      data-testid="network-form"
      className="space-y-3 border-b border-zinc-200 bg-zinc-50 p-3"
      onSubmit={(e) => {
        e.preventDefault();
        submit();
      }}
    >
      <div className="grid gap-3 sm:grid-cols-3 lg:grid-cols-6">
        <Field label="Name">
          <input data-testid="network-name" className={inputClass} value={f.name} onChange={set('name')} />
        </Field>
        <Field label="Cluster">
          <select className={inputClass} value={f.clusterId} onChange={set('clusterId')}>
            {clusters.map(([id, name]) => (
              <option key={id} value={id}>
                {name}
              </option>
            ))}
          </select>
        </Field>
        <Field label="Mode">
          <select data-testid="network-mode" className={inputClass} value={f.mode} onChange={set('mode')}>
            <option value="nat">NAT</option>
            <option value="isolated">Isolated</option>
            <option value="bridged">Bridged / VLAN</option>
          </select>
        </Field>
        {bridged ? (
          <>
            <Field label={f.vlan ? 'Device carrying the VLAN' : 'Host bridge'}>
              <input
                data-testid="network-bridge"
                className={inputClass}
                placeholder={f.vlan ? 'eth0' : 'br0'}
                value={f.bridge}
                onChange={set('bridge')}
              />
            </Field>
            <Field label="VLAN tag (1–4094, optional)">
              <input
                data-testid="network-vlan"
                className={inputClass}
                inputMode="numeric"
                placeholder="none"
                value={f.vlan}
                onChange={set('vlan')}
              />
            </Field>
          </>
        ) : (
          <>
            <Field label="CIDR">
              <input
                data-testid="network-cidr"
                className={inputClass}
                placeholder="192.168.130.0/24"
                value={f.cidr}
                onChange={set('cidr')}
              />
            </Field>
            <Field label="DHCP start">
              <input
                data-testid="network-dhcp-start"
                className={inputClass}
                value={f.dhcpStart}
                onChange={set('dhcpStart')}
              />
            </Field>
            <Field label="DHCP end">
              <input
                data-testid="network-dhcp-end"
                className={inputClass}
                value={f.dhcpEnd}
                onChange={set('dhcpEnd')}
              />
            </Field>
          </>
        )}
      </div>
      <ErrorText error={create.error} testId="network-form-error" />
      <div className="flex gap-2">
        <button type="submit" className={btn.primary} disabled={create.isPending} data-testid="network-create">
          {create.isPending ? 'Creating…' : 'Create network'}
        </button>
        <button type="button" className={btn.secondary} onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}
