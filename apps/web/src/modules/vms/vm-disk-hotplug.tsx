'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { useTRPC } from '@/trpc/client';
import { useSession } from '../auth/use-session';
import { btn, inputClass } from '../ui/buttons';
import { ErrorText } from '../ui/error-text';

const MiB = 1024 * 1024;

/**
 * "Add disk" under the Hardware section: a blank volume, attached to the running VM at once
 * (libvirt hot-plug). Runs as a VM task, shown on the page like the others. Administrators use
 * the host's `default` pool; others choose among the pools they may use (for a project member,
 * those published to its projects: storage.list, which asks no host for them).
 */
export function AddDiskForm({ vmId, running }: { vmId: string; running: boolean }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const id = useId();
  const [sizeGiB, setSizeGiB] = useState('1');
  const [bus, setBus] = useState<'virtio' | 'scsi'>('virtio');
  const { user } = useSession();
  const choosing = Boolean(user && user.role !== 'admin');
  const pools = useQuery({ ...trpc.storage.list.queryOptions(), enabled: choosing });
  const offered = (pools.data ?? []).map((p) => p.name);
  const [picked, setPicked] = useState('');
  const pool = choosing ? (offered.includes(picked) ? picked : (offered[0] ?? '')) : 'default';
  const add = useMutation(
    trpc.vm.addDisk.mutationOptions({
      onSuccess: () => void qc.invalidateQueries({ queryKey: trpc.task.list.queryKey() }),
    }),
  );
  const sizeBytes = Math.round(Number(sizeGiB) * 1024) * MiB;
  const valid = Number.isFinite(sizeBytes) && sizeBytes >= MiB;

  return (
    <form
      className="flex flex-wrap items-end gap-3 border-t border-zinc-100 pt-3 text-sm"
      data-testid="vm-add-disk"
      onSubmit={(e) => {
        e.preventDefault();
        add.mutate({ vmId, sizeBytes, bus, format: 'qcow2', pool });
      }}
    >
      <label className="space-y-1" htmlFor={`${id}-size`}>
        <span className="block text-xs text-zinc-600">New disk size (GiB)</span>
        <input
          id={`${id}-size`}
          data-testid="vm-add-disk-size"
          type="number"
          min={0.001}
          step="any"
          className={`${inputClass} h-8 w-24`}
          value={sizeGiB}
          onChange={(e) => setSizeGiB(e.target.value)}
        />
      </label>
      {choosing && (
        <label className="space-y-1" htmlFor={`${id}-pool`}>
          <span className="block text-xs text-zinc-600">Pool</span>
          <select
            id={`${id}-pool`}
            data-testid="vm-add-disk-pool"
            className={`${inputClass} h-8`}
            value={pool}
            onChange={(e) => setPicked(e.target.value)}
          >
            {offered.length === 0 && <option value="">{pools.isPending ? 'Loading…' : 'No pool offered'}</option>}
            {offered.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
      )}
      <label className="space-y-1" htmlFor={`${id}-bus`}>
        <span className="block text-xs text-zinc-600">Bus</span>
        <select
          id={`${id}-bus`}
          className={`${inputClass} h-8`}
          value={bus}
          onChange={(e) => setBus(e.target.value === 'scsi' ? 'scsi' : 'virtio')}
        >
          <option value="virtio">virtio</option>
          <option value="scsi">SCSI (virtio-scsi)</option>
        </select>
      </label>
      <button
        type="submit"
        className={btn.secondary}
        data-testid="vm-add-disk-submit"
        disabled={!running || !valid || !pool || add.isPending}
      >
        Add disk
      </button>
      <span className="text-xs text-zinc-500">
        {running
          ? `Attached to the running VM at once${choosing ? '' : ', in the default pool'}.`
          : 'Start the VM to hot-add a disk.'}
      </span>
      {add.error && (
        <div className="basis-full">
          <ErrorText error={add.error} />
        </div>
      )}
    </form>
  );
}

/** Hot-remove of one disk: the guest is asked to release it; a volume made for the VM is deleted. */
export function RemoveDiskButton({ vmId, position }: { vmId: string; position: number }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const remove = useMutation(
    trpc.vm.removeDisk.mutationOptions({
      onSuccess: () => void qc.invalidateQueries({ queryKey: trpc.task.list.queryKey() }),
    }),
  );
  return (
    <span className="inline-flex items-center gap-2">
      <button
        type="button"
        className={`${btn.ghost} h-6 px-2 text-xs`}
        data-testid="vm-disk-remove"
        disabled={remove.isPending}
        onClick={() => remove.mutate({ vmId, position })}
      >
        Remove
      </button>
      {remove.error && <ErrorText error={remove.error} />}
    </span>
  );
}
