'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { useTRPC } from '@/trpc/client';
import { useSession } from '../auth/use-session';
import { btn, inputClass } from '../ui/buttons';
import { ConfirmDialog } from '../ui/confirm-dialog';
import { ErrorText } from '../ui/error-text';

/**
 * "Add NIC" under the Hardware section: a network card on a network of the VM's host, with a MAC
 * Vireo chooses. Live on a running VM (libvirt hot-plug), in the definition on a stopped one.
 * Admins pick from Vireo's networks on the VM's host; others from the networks they may use (for
 * a project member, those published to its projects), or type a libvirt network name when none.
 */
export function AddNicForm({ vmId }: { vmId: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const id = useId();
  const { user } = useSession();
  const isAdmin = user?.role === 'admin';
  const vm = useQuery(trpc.vm.byId.queryOptions({ vmId }));
  const nets = useQuery({ ...trpc.network.list.queryOptions(), enabled: Boolean(user) });
  // Only an administrator's list names the hosts; a member's holds what it may use, hosts unnamed.
  // (one choice per libvirt name: a cluster network is one libvirt network on every host).
  const here = (nets.data ?? []).filter(
    (n, i, all) =>
      (isAdmin ? n.hosts.some((h) => h.hostId === vm.data?.hostId) : true) &&
      all.findIndex((m) => m.libvirtName === n.libvirtName) === i,
  );
  const [network, setNetwork] = useState('');
  const [model, setModel] = useState<'virtio' | 'e1000'>('virtio');
  const chosen = network || here[0]?.libvirtName || '';
  const add = useMutation(
    trpc.vm.addNic.mutationOptions({
      onSuccess: () => void qc.invalidateQueries({ queryKey: trpc.task.list.queryKey() }),
    }),
  );
  const state = vm.data?.state;
  const allowed = state === 'running' || state === 'shutoff';

  return (
    <form
      className="flex flex-wrap items-end gap-3 border-t border-zinc-100 pt-3 text-sm"
      data-testid="vm-add-nic"
      onSubmit={(e) => {
        e.preventDefault();
        add.mutate({ vmId, network: chosen, model });
      }}
    >
      <label className="space-y-1" htmlFor={`${id}-network`}>
        <span className="block text-xs text-zinc-600">Network</span>
        {here.length > 0 ? (
          <select
            id={`${id}-network`}
            data-testid="vm-add-nic-network"
            className={`${inputClass} h-8`}
            value={chosen}
            onChange={(e) => setNetwork(e.target.value)}
          >
            {here.map((n) => (
              <option key={n.id} value={n.libvirtName}>
                {n.name} ({n.mode})
              </option>
            ))}
          </select>
        ) : (
          <input
            id={`${id}-network`}
            data-testid="vm-add-nic-network"
            className={`${inputClass} h-8 w-40 font-mono`}
            placeholder="libvirt network"
            value={network}
            onChange={(e) => setNetwork(e.target.value)}
          />
        )}
      </label>
      <label className="space-y-1" htmlFor={`${id}-model`}>
        <span className="block text-xs text-zinc-600">Model</span>
        <select
          id={`${id}-model`}
          data-testid="vm-add-nic-model"
          className={`${inputClass} h-8`}
          value={model}
          onChange={(e) => setModel(e.target.value === 'e1000' ? 'e1000' : 'virtio')}
        >
          <option value="virtio">virtio</option>
          <option value="e1000">e1000</option>
        </select>
      </label>
      <button
        type="submit"
        className={btn.secondary}
        data-testid="vm-add-nic-submit"
        disabled={!allowed || !chosen || add.isPending}
      >
        Add NIC
      </button>
      <span className="text-xs text-zinc-500">
        {state === 'running'
          ? 'Plugged into the running VM at once.'
          : allowed
            ? 'The VM has it at its next start.'
            : 'Start or stop the VM to add a NIC.'}
      </span>
      {add.error && (
        <div className="basis-full">
          <ErrorText error={add.error} />
        </div>
      )}
    </form>
  );
}

/** Removes one NIC after a confirmation; on a running VM the guest is asked to release it. */
export function RemoveNicButton({ vmId, position, mac }: { vmId: string; position: number; mac: string }) {
  const trpc = useTRPC();
  const qc = useQueryClient();
  const [asking, setAsking] = useState(false);
  const remove = useMutation(
    trpc.vm.removeNic.mutationOptions({
      onSuccess: () => void qc.invalidateQueries({ queryKey: trpc.task.list.queryKey() }),
    }),
  );
  return (
    <span className="inline-flex items-center gap-2">
      <button
        type="button"
        className={`${btn.ghost} h-6 px-2 text-xs`}
        data-testid="vm-nic-remove"
        disabled={remove.isPending}
        onClick={() => setAsking(true)}
      >
        Remove
      </button>
      {remove.error && <ErrorText error={remove.error} />}
      {asking && (
        <ConfirmDialog
          title="Remove network card"
          confirmLabel="Remove NIC"
          testId="vm-nic-remove-confirm"
          onCancel={() => setAsking(false)}
          onConfirm={() => {
            setAsking(false);
            remove.mutate({ vmId, position });
          }}
        >
          <p className="text-sm text-zinc-700">
            NIC <span className="font-mono">{mac}</span> leaves the VM. A running guest loses the network on it at once.
          </p>
        </ConfirmDialog>
      )}
    </span>
  );
}
