'use client';

import { useMutation, useQuery } from '@tanstack/react-query';
import Link from 'next/link';
import { useState } from 'react';
import { useTRPC } from '@/trpc/client';
import { RolesPanel } from '../permissions/roles-panel';
import { useCan } from '../permissions/use-can';
import type { VmState } from '@/trpc/types';
import { btn } from '../ui/buttons';
import { ConfirmDialog } from '../ui/confirm-dialog';
import { ErrorText } from '../ui/error-text';
import { HostStatusPill, VmStatePill } from '../ui/status-pill';
import { ChildTable, Empty, Facts, Panel, PanelAction, vmCount } from './inventory-panel';
import { BalancePanel } from './balance-panel';
import { ClusterHaPanel } from '../ha/cluster-ha-panel';
import { ClusterSettingsDialog, MoveDialog, NameDialog, useInventoryRefresh } from './inventory-dialogs';
import { nodeKey, rollUp, type TreeData, type TreeRow } from './tree-model';

type Dialog = 'create' | 'rename' | 'move' | 'delete' | 'settings' | null;

/** The selected node's details and actions, beside the tree. */
export function InventoryDetails({
  data,
  node,
  onSelect,
}: {
  data: TreeData;
  node: { kind: TreeRow['kind']; id: string } | null;
  onSelect: (key: string | null) => void;
}) {
  if (!node) return <Empty>Select a datacenter, cluster, host or VM in the tree.</Empty>;
  switch (node.kind) {
    case 'datacenter':
      return <DatacenterDetails key={node.id} data={data} id={node.id} onSelect={onSelect} />;
    case 'cluster':
      return <ClusterDetails key={node.id} data={data} id={node.id} onSelect={onSelect} />;
    case 'host':
      return <HostDetails key={node.id} data={data} id={node.id} />;
    case 'vm':
      return <VmDetails key={node.id} id={node.id} />;
  }
}

function DatacenterDetails({
  data,
  id,
  onSelect,
}: {
  data: TreeData;
  id: string;
  onSelect: (k: string | null) => void;
}) {
  const trpc = useTRPC();
  // Delegated admins see only the actions their role allows (the API checks each anyway).
  const managesSystem = useCan('manage', 'system', '');
  const refresh = useInventoryRefresh();
  const [dialog, setDialog] = useState<Dialog>(null);
  const close = () => setDialog(null);
  const done = {
    onSuccess: () => {
      refresh();
      close();
    },
  };
  const create = useMutation(
    trpc.inventory.createCluster.mutationOptions({
      onSuccess: ({ id: clusterId }) => {
        refresh();
        close();
        onSelect(nodeKey('cluster', clusterId));
      },
    }),
  );
  const rename = useMutation(trpc.inventory.renameDatacenter.mutationOptions(done));
  const remove = useMutation(
    trpc.inventory.deleteDatacenter.mutationOptions({
      onSuccess: () => {
        refresh();
        onSelect(null);
      },
    }),
  );
  const dc = data.datacenters.find((d) => d.id === id);
  if (!dc) return <Empty>This datacenter no longer exists.</Empty>;
  const totals = rollUp(data);
  const clusters = data.clusters.filter((c) => c.datacenterId === id);
  return (
    <Panel
      kind="Datacenter"
      name={dc.name}
      error={remove.error}
      actions={
        managesSystem && (
          <>
            <PanelAction look="primary" testId="inventory-new-cluster" onClick={() => setDialog('create')}>
              New cluster
            </PanelAction>
            <PanelAction look="secondary" testId="inventory-rename" onClick={() => setDialog('rename')}>
              Rename
            </PanelAction>
            <PanelAction look="danger" testId="inventory-delete" onClick={() => setDialog('delete')}>
              Delete
            </PanelAction>
          </>
        )
      }
    >
      <Facts
        rows={[
          ['Clusters', clusters.length],
          ['Hosts', totals.datacenters.get(id)?.hosts ?? 0],
          ['VMs', vmCount(totals.datacenters.get(id))],
        ]}
      />
      <ChildTable title="Clusters" columns={['Name', 'Hosts', 'VMs']} empty="No clusters yet.">
        {clusters.map((c) => (
          <tr key={c.id} className="border-t border-zinc-100">
            <td className="px-3 py-1.5">
              <button
                type="button"
                className="text-teal-700 hover:underline"
                onClick={() => onSelect(nodeKey('cluster', c.id))}
              >
                {c.name}
              </button>
            </td>
            <td className="px-3 py-1.5 tabular-nums">{totals.clusters.get(c.id)?.hosts ?? 0}</td>
            <td className="px-3 py-1.5 tabular-nums">{vmCount(totals.clusters.get(c.id))}</td>
          </tr>
        ))}
      </ChildTable>
      <RolesPanel scopeKind="datacenter" scopeId={id} scopeName={dc.name} />
      {dialog === 'create' && (
        <NameDialog
          title={`New cluster in ${dc.name}`}
          submitLabel="Create cluster"
          testId="cluster-create-dialog"
          busy={create.isPending}
          error={create.error}
          onSubmit={(name) => create.mutate({ datacenterId: id, name })}
          onClose={close}
        />
      )}
      {dialog === 'rename' && (
        <NameDialog
          title={`Rename datacenter ${dc.name}`}
          submitLabel="Rename"
          initial={dc.name}
          testId="datacenter-rename-dialog"
          busy={rename.isPending}
          error={rename.error}
          onSubmit={(name) => rename.mutate({ datacenterId: id, name })}
          onClose={close}
        />
      )}
      {dialog === 'delete' && (
        <ConfirmDialog
          title={`Delete datacenter ${dc.name}?`}
          confirmLabel="Delete datacenter"
          testId="datacenter-delete-dialog"
          onCancel={close}
          onConfirm={() => {
            close();
            remove.mutate({ datacenterId: id });
          }}
        >
          <p>A datacenter can be deleted only when it has no clusters.</p>
        </ConfirmDialog>
      )}
    </Panel>
  );
}

function ClusterDetails({ data, id, onSelect }: { data: TreeData; id: string; onSelect: (k: string | null) => void }) {
  const trpc = useTRPC();
  // Delegated admins see only the actions their role allows (the API checks each anyway).
  const managesSystem = useCan('manage', 'system', '');
  const managesCluster = useCan('manage', 'cluster', id);
  const refresh = useInventoryRefresh();
  const [dialog, setDialog] = useState<Dialog>(null);
  const close = () => setDialog(null);
  const done = {
    onSuccess: () => {
      refresh();
      close();
    },
  };
  const settings = useQuery(trpc.inventory.clusterSettings.queryOptions({ clusterId: id }));
  const rename = useMutation(trpc.inventory.renameCluster.mutationOptions(done));
  const move = useMutation(trpc.inventory.moveCluster.mutationOptions(done));
  const remove = useMutation(
    trpc.inventory.deleteCluster.mutationOptions({
      onSuccess: () => {
        refresh();
        onSelect(null);
      },
    }),
  );
  const cluster = data.clusters.find((c) => c.id === id);
  if (!cluster) return <Empty>This cluster no longer exists.</Empty>;
  const dc = data.datacenters.find((d) => d.id === cluster.datacenterId);
  const hosts = data.hosts.filter((h) => h.clusterId === id);
  const p = settings.data;
  return (
    <Panel
      kind="Cluster"
      name={cluster.name}
      error={remove.error ?? settings.error}
      actions={
        <>
          {managesCluster && (
            <>
              <PanelAction
                look="secondary"
                testId="inventory-settings"
                disabled={!p}
                onClick={() => setDialog('settings')}
              >
                Settings
              </PanelAction>
              <PanelAction look="secondary" testId="inventory-rename" onClick={() => setDialog('rename')}>
                Rename
              </PanelAction>
            </>
          )}
          {managesSystem && (
            <>
              <PanelAction look="secondary" testId="inventory-move" onClick={() => setDialog('move')}>
                Move
              </PanelAction>
              <PanelAction look="danger" testId="inventory-delete" onClick={() => setDialog('delete')}>
                Delete
              </PanelAction>
            </>
          )}
        </>
      }
    >
      <Facts
        rows={[
          ['Datacenter', dc?.name ?? '—'],
          ['VMs', vmCount(rollUp(data).clusters.get(id))],
          ['CPU baseline', p ? p.cpuBaseline || 'host CPU (any)' : '…'],
          ['Placement', p?.placementPolicy ?? '…'],
          [
            'Migration',
            p
              ? `downtime ≤ ${p.migrationMaxDowntimeMs} ms · ${p.migrationBandwidthMiBs ? `${p.migrationBandwidthMiBs} MiB/s` : 'unlimited bandwidth'} · ${p.migrationParallelPerHost} at once per host · auto-converge ${p.migrationAutoConverge ? 'on' : 'off'} · post-copy ${p.migrationPostCopy ? 'on' : 'off'}`
              : '…',
          ],
        ]}
      />
      <ChildTable title="Hosts" columns={['Name', 'Status', 'VMs']} empty="No hosts in this cluster.">
        {hosts.map((h) => (
          <tr key={h.id} className="border-t border-zinc-100">
            <td className="px-3 py-1.5">
              <button
                type="button"
                className="text-teal-700 hover:underline"
                onClick={() => onSelect(nodeKey('host', h.id))}
              >
                {h.name}
              </button>
            </td>
            <td className="px-3 py-1.5">
              <HostStatusPill status={h.status} />
            </td>
            <td className="px-3 py-1.5 tabular-nums">{`${h.vmsRunning} running / ${h.vmsTotal}`}</td>
          </tr>
        ))}
      </ChildTable>
      <BalancePanel clusterId={id} clusterName={cluster.name} />
      <ClusterHaPanel clusterId={id} />
      <RolesPanel scopeKind="cluster" scopeId={id} scopeName={cluster.name} />
      {dialog === 'settings' && p && (
        <ClusterSettingsDialog clusterId={id} clusterName={cluster.name} initial={p} onClose={close} />
      )}
      {dialog === 'rename' && (
        <NameDialog
          title={`Rename cluster ${cluster.name}`}
          submitLabel="Rename"
          initial={cluster.name}
          testId="cluster-rename-dialog"
          busy={rename.isPending}
          error={rename.error}
          onSubmit={(name) => rename.mutate({ clusterId: id, name })}
          onClose={close}
        />
      )}
      {dialog === 'move' && (
        <MoveDialog
          title={`Move cluster ${cluster.name}`}
          label="To datacenter"
          testId="cluster-move-dialog"
          options={data.datacenters.filter((d) => d.id !== cluster.datacenterId)}
          busy={move.isPending}
          error={move.error}
          onSubmit={(datacenterId) => move.mutate({ clusterId: id, datacenterId })}
          onClose={close}
        />
      )}
      {dialog === 'delete' && (
        <ConfirmDialog
          title={`Delete cluster ${cluster.name}?`}
          confirmLabel="Delete cluster"
          testId="cluster-delete-dialog"
          onCancel={close}
          onConfirm={() => {
            close();
            remove.mutate({ clusterId: id });
          }}
        >
          <p>A cluster can be deleted only when no host, network or storage pool is in it. Its settings go with it.</p>
        </ConfirmDialog>
      )}
    </Panel>
  );
}

function HostDetails({ data, id }: { data: TreeData; id: string }) {
  const trpc = useTRPC();
  // Delegated admins see only the actions their role allows (the API checks each anyway).
  const managesSystem = useCan('manage', 'system', '');
  const refresh = useInventoryRefresh();
  const [dialog, setDialog] = useState<Dialog>(null);
  const close = () => setDialog(null);
  const done = {
    onSuccess: () => {
      refresh();
      close();
    },
  };
  const move = useMutation(trpc.inventory.moveHost.mutationOptions(done));
  const host = data.hosts.find((h) => h.id === id);
  if (!host) return <Empty>This host is no longer in the inventory.</Empty>;
  const cluster = data.clusters.find((c) => c.id === host.clusterId);
  const nameOf = (c: TreeData['clusters'][number]) =>
    `${data.datacenters.find((d) => d.id === c.datacenterId)?.name ?? '?'} / ${c.name}`;
  return (
    <Panel
      kind="Host"
      name={host.name}
      actions={
        <>
          <Link href={`/hosts/${host.id}`} className={btn.primary} data-testid="inventory-host-link">
            Open host page
          </Link>
          {managesSystem && (
            <PanelAction look="secondary" testId="inventory-move" onClick={() => setDialog('move')}>
              Move to cluster
            </PanelAction>
          )}
        </>
      }
    >
      <Facts
        rows={[
          ['Status', <HostStatusPill key="s" status={host.status} />],
          ['Cluster', cluster ? nameOf(cluster) : '—'],
          ['VMs', `${host.vmsRunning} running / ${host.vmsTotal}`],
        ]}
      />
      <RolesPanel scopeKind="host" scopeId={id} scopeName={host.name} />
      {dialog === 'move' && (
        <MoveDialog
          title={`Move host ${host.name}`}
          label="To cluster"
          testId="host-move-dialog"
          note="Only a host without VMs moves: migrate its VMs away, or stop and move them, first."
          options={data.clusters.filter((c) => c.id !== host.clusterId).map((c) => ({ id: c.id, name: nameOf(c) }))}
          busy={move.isPending}
          error={move.error}
          onSubmit={(clusterId) => move.mutate({ hostId: id, clusterId })}
          onClose={close}
        />
      )}
    </Panel>
  );
}

function VmDetails({ id }: { id: string }) {
  const trpc = useTRPC();
  const vm = useQuery(trpc.vm.byId.queryOptions({ vmId: id }));
  if (vm.error) return <ErrorText error={vm.error} />;
  if (!vm.data) return <Empty>Loading…</Empty>;
  return (
    <Panel
      kind="VM"
      name={vm.data.name}
      actions={
        <Link href={`/vms/${id}`} className={btn.primary} data-testid="inventory-vm-link">
          Open VM page
        </Link>
      }
    >
      <Facts
        rows={[
          ['State', <VmStatePill key="s" state={vm.data.state as VmState} reason={vm.data.stateReason} />],
          ['Host', vm.data.hostName ?? '—'],
          ['vCPUs', vm.data.vcpus],
          ['Memory', `${vm.data.memoryMiB} MiB`],
          ['Owner', vm.data.ownerName ?? '—'],
        ]}
      />
    </Panel>
  );
}
