'use client';

import { useQuery } from '@tanstack/react-query';
import { useEffect } from 'react';
import { useTRPC } from '@/trpc/client';
import type { RouterOutputs } from '@/trpc/types';
import { ErrorText } from '../ui/error-text';
import { formatBytes } from '../ui/format';
import { bootLabel, effectiveBootOrder } from './vm-boot-editor';
import { AddCdromForm, CdromActions } from './vm-cdrom';
import { AddDiskForm, RemoveDiskButton } from './vm-disk-hotplug';
import { AddNicForm, RemoveNicButton } from './vm-nic-hotplug';
import { VmPendingChanges } from './vm-pending-changes';

type Hardware = RouterOutputs['vm']['hardware'];

/**
 * Firmware, disks (pool/volume, bus, size) and NICs (MAC, network, addresses). Re-read whenever
 * the VM record changes (`version`): a create fills in paths and sizes as the host reports them.
 */
export function VmHardwarePanel({
  vmId,
  version,
  running = false,
}: {
  vmId: string;
  version: string;
  running?: boolean;
}) {
  const trpc = useTRPC();
  // Polled: NIC addresses are the host's DHCP leases, which signal no changes.
  const hw = useQuery({ ...trpc.vm.hardware.queryOptions({ vmId }), refetchInterval: ADDRESS_POLL_MS });
  const { refetch } = hw;
  useEffect(() => {
    if (version) void refetch();
  }, [version, refetch]);

  return (
    <section className="rounded-lg border border-zinc-200 bg-white shadow-xs" data-testid="vm-hardware">
      <h2 className="flex items-center justify-between border-b border-zinc-100 px-3 py-2 text-xs font-semibold tracking-wide text-zinc-500 uppercase">
        Hardware
        {hw.data && (
          <span className="font-normal normal-case tracking-normal text-zinc-600" data-testid="vm-firmware-value">
            {hw.data.firmware === 'uefi' ? 'UEFI (OVMF)' : 'BIOS'}
          </span>
        )}
      </h2>
      <div className="space-y-3 p-3">
        {hw.error && <ErrorText error={hw.error} />}
        {running && <VmPendingChanges vmId={vmId} version={version} />}
        {hw.data && (
          <p className="text-sm text-zinc-700" data-testid="vm-boot-order">
            <span className="text-xs text-zinc-500">Boot order: </span>
            {effectiveBootOrder(hw.data)
              .map((e) => bootLabel(hw.data, e))
              .join(' → ') || 'none'}
            {hw.data.bootOrder.length === 0 && <span className="text-xs text-zinc-500"> (default)</span>}
          </p>
        )}
        {hw.data && <Disks disks={hw.data.disks} vmId={vmId} running={running} />}
        {hw.data && <AddDiskForm vmId={vmId} running={running} />}
        {hw.data && <AddCdromForm vmId={vmId} />}
        {hw.data && <Nics nics={hw.data.nics} addressSource={hw.data.addressSource} vmId={vmId} />}
        {hw.data && <AddNicForm vmId={vmId} />}
      </div>
    </section>
  );
}

const ADDRESS_POLL_MS = 5000;
const th = 'px-2 py-1 text-left text-xs font-medium text-zinc-500';
const td = 'px-2 py-1 align-top';

/** Disks the guest can give back while it runs: virtio or SCSI, and not the boot (first) disk. */
function hotRemovable(d: Hardware['disks'][number], disks: Hardware['disks']): boolean {
  return d.device === 'disk' && d.bus !== 'sata' && disks.find((x) => x.device === 'disk') !== d;
}

function Disks({ disks, vmId, running }: { disks: Hardware['disks']; vmId: string; running: boolean }) {
  return (
    <table className="w-full text-sm" data-testid="vm-disks">
      <thead>
        <tr className="border-b border-zinc-100">
          <th className={th}>Disk</th>
          <th className={th}>Pool / volume</th>
          <th className={th}>Bus</th>
          <th className={th}>Size</th>
          <th className={th} />
        </tr>
      </thead>
      <tbody>
        {disks.map((d) => (
          <tr key={d.position} data-testid="vm-disk-row" className="border-b border-zinc-50 last:border-0">
            <td className={td}>
              {d.device === 'cdrom' ? 'CD-ROM' : `Disk ${d.position + 1}`}
              {d.readOnly && d.device !== 'cdrom' && <span className="ml-1 text-xs text-zinc-500">(read-only)</span>}
            </td>
            <td className={`${td} font-mono text-xs break-all`}>
              {d.pool && d.volume ? (
                `${d.pool}/${d.volume}`
              ) : d.position === 0 && d.device === 'disk' ? (
                <span className="font-sans text-zinc-600">template disk {d.path ? `(${d.path})` : ''}</span>
              ) : (
                <span className="font-sans text-zinc-500">empty</span>
              )}
            </td>
            <td className={td} data-testid="vm-disk-bus">
              {d.bus}
            </td>
            <td className={`${td} tabular-nums`}>{d.sizeBytes === null ? '—' : formatBytes(d.sizeBytes)}</td>
            <td className={`${td} text-right`}>
              {running && hotRemovable(d, disks) && <RemoveDiskButton vmId={vmId} position={d.position} />}
              {d.device === 'cdrom' && (
                <CdromActions vmId={vmId} position={d.position} loaded={Boolean(d.volume || d.path)} />
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function Nics({
  nics,
  addressSource,
  vmId,
}: {
  nics: Hardware['nics'];
  addressSource: Hardware['addressSource'];
  vmId: string;
}) {
  if (nics.length === 0) return <p className="text-xs text-zinc-500">No network cards.</p>;
  return (
    <table className="w-full text-sm" data-testid="vm-nics">
      <thead>
        <tr className="border-b border-zinc-100">
          <th className={th}>NIC</th>
          <th className={th}>MAC</th>
          <th className={th}>Network</th>
          <th className={th}>Security group</th>
          <th className={th}>Address</th>
          <th className={th} />
        </tr>
      </thead>
      <tbody>
        {nics.map((n) => (
          <tr key={n.position} data-testid="vm-nic-row" className="border-b border-zinc-50 last:border-0">
            <td className={td}>
              NIC {n.position + 1} <span className="text-xs text-zinc-500">{n.model}</span>
            </td>
            <td className={`${td} font-mono text-xs`} data-testid="vm-nic-mac">
              {n.mac}
            </td>
            <td className={`${td} text-xs`} data-testid="vm-nic-network-name" title={`libvirt network ${n.network}`}>
              {n.networkName ?? <span className="font-mono">{n.network}</span>}
            </td>
            <td className={`${td} text-xs`} data-testid="vm-nic-group">
              {n.securityGroupId ? (
                (n.securityGroupName ?? 'deleted group')
              ) : (
                <span className="text-zinc-500">none</span>
              )}
            </td>
            <td className={`${td} font-mono text-xs text-zinc-700`} data-testid="vm-nic-address">
              {n.addresses.length > 0 ? (
                n.addresses.join(', ')
              ) : (
                <span className="font-sans text-zinc-500">
                  {n.networkId === null
                    ? 'not known (network not managed by Vireo)'
                    : addressSource === 'unavailable'
                      ? 'host not answering'
                      : 'no lease yet'}
                </span>
              )}
            </td>
            <td className={`${td} text-right`}>
              <RemoveNicButton vmId={vmId} position={n.position} mac={n.mac} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
