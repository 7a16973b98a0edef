'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useId, useState } from 'react';
import { useTRPC } from '@/trpc/client';
import { useSession } from '../auth/use-session';
import { btn, inputClass } from '../ui/buttons';
import { Dialog } from '../ui/dialog';
import { ErrorText } from '../ui/error-text';

function useTaskMutationDone() {
  const trpc = useTRPC();
  const qc = useQueryClient();
  return () => void qc.invalidateQueries({ queryKey: trpc.task.list.queryKey() });
}

/** The VM's state from its (cached, live-updated) record. */
export function useVmState(vmId: string): string | undefined {
  const trpc = useTRPC();
  return useQuery(trpc.vm.byId.queryOptions({ vmId })).data?.state;
}

/**
 * A CD-ROM drive's "Insert…" (admins: an ISO image from the pools of the VM's host) and "Eject".
 * Live on a running VM, in the definition on a stopped one.
 */
export function CdromActions({ vmId, position, loaded }: { vmId: string; position: number; loaded: boolean }) {
  const trpc = useTRPC();
  const state = useVmState(vmId);
  const done = useTaskMutationDone();
  const { user } = useSession();
  const [choosing, setChoosing] = useState(false);
  const set = useMutation(trpc.vm.setCdromMedia.mutationOptions({ onSuccess: done }));
  const allowed = state === 'running' || state === 'shutoff';
  return (
    <span className="inline-flex items-center gap-1">
      {user?.role === 'admin' && (
        <button
          type="button"
          className={`${btn.ghost} h-6 px-2 text-xs`}
          data-testid="vm-cdrom-insert"
          disabled={!allowed || set.isPending}
          onClick={() => setChoosing(true)}
        >
          Insert…
        </button>
      )}
      {loaded && (
        <button
          type="button"
          className={`${btn.ghost} h-6 px-2 text-xs`}
          data-testid="vm-cdrom-eject"
          disabled={!allowed || set.isPending}
          onClick={() => set.mutate({ vmId, position, media: null })}
        >
          Eject
        </button>
      )}
      {set.error && <ErrorText error={set.error} />}
      {choosing && (
        <InsertDialog
          vmId={vmId}
          onCancel={() => setChoosing(false)}
          onInsert={(media) => {
            setChoosing(false);
            set.mutate({ vmId, position, media });
          }}
        />
      )}
    </span>
  );
}

/** The ISO images of the pools on the VM's host, to choose one. */
function InsertDialog({
  vmId,
  onCancel,
  onInsert,
}: {
  vmId: string;
  onCancel: () => void;
  onInsert: (media: { pool: string; volume: string }) => void;
}) {
  const trpc = useTRPC();
  const id = useId();
  const vm = useQuery(trpc.vm.byId.queryOptions({ vmId }));
  const pools = useQuery(trpc.storage.list.queryOptions());
  const isos = (pools.data ?? [])
    .filter((p) => p.hosts.some((h) => h.hostId === vm.data?.hostId))
    .flatMap((p) =>
      (p.volumes ?? []).filter((v) => v.name.toLowerCase().endsWith('.iso')).map((v) => `${p.name}/${v.name}`),
    );
  const [picked, setPicked] = useState('');
  const choice = picked || isos[0] || '';
  return (
    <Dialog
      title="Insert an ISO image"
      testId="vm-cdrom-insert-dialog"
      onClose={onCancel}
      footer={
        <>
          <button type="button" className={btn.secondary} onClick={onCancel}>
            Cancel
          </button>
          <button
            type="button"
            className={btn.primary}
            data-testid="vm-cdrom-insert-ok"
            disabled={!choice}
            onClick={() => {
              const [pool, ...rest] = choice.split('/');
              if (pool) onInsert({ pool, volume: rest.join('/') });
            }}
          >
            Insert
          </button>
        </>
      }
    >
      {pools.error && <ErrorText error={pools.error} />}
      {pools.isPending ? (
        <p className="text-sm text-zinc-500">Reading the pools…</p>
      ) : isos.length === 0 ? (
        <p className="text-sm text-zinc-600" data-testid="vm-cdrom-no-isos">
          No ISO image in the pools of this VM’s host. Upload one on the Images page.
        </p>
      ) : (
        <label className="block space-y-1" htmlFor={`${id}-iso`}>
          <span className="block text-xs text-zinc-600">Image (pool / volume)</span>
          <select
            id={`${id}-iso`}
            data-testid="vm-cdrom-iso"
            className={`${inputClass} font-mono`}
            value={choice}
            onChange={(e) => setPicked(e.target.value)}
          >
            {isos.map((v) => (
              <option key={v} value={v}>
                {v}
              </option>
            ))}
          </select>
        </label>
      )}
    </Dialog>
  );
}

/** "Add CD-ROM drive" on a stopped VM: an empty drive on SCSI (virtio-scsi) or SATA. */
export function AddCdromForm({ vmId }: { vmId: string }) {
  const trpc = useTRPC();
  const state = useVmState(vmId);
  const done = useTaskMutationDone();
  const id = useId();
  const [bus, setBus] = useState<'scsi' | 'sata'>('scsi');
  const add = useMutation(trpc.vm.addCdrom.mutationOptions({ onSuccess: done }));
  const stopped = state === 'shutoff';
  return (
    <form
      className="flex flex-wrap items-end gap-3 border-t border-zinc-100 pt-3 text-sm"
      data-testid="vm-add-cdrom"
      onSubmit={(e) => {
        e.preventDefault();
        add.mutate({ vmId, bus });
      }}
    >
      <label className="space-y-1" htmlFor={`${id}-bus`}>
        <span className="block text-xs text-zinc-600">CD-ROM bus</span>
        <select
          id={`${id}-bus`}
          className={`${inputClass} h-8`}
          value={bus}
          onChange={(e) => setBus(e.target.value === 'sata' ? 'sata' : 'scsi')}
        >
          <option value="scsi">SCSI (virtio-scsi)</option>
          <option value="sata">SATA</option>
        </select>
      </label>
      <button
        type="submit"
        className={btn.secondary}
        data-testid="vm-add-cdrom-submit"
        disabled={!stopped || add.isPending}
      >
        Add CD-ROM drive
      </button>
      <span className="text-xs text-zinc-500">
        {stopped ? 'An empty drive; insert an image afterwards.' : 'Stop the VM to add a CD-ROM drive.'}
      </span>
      {add.error && (
        <div className="basis-full">
          <ErrorText error={add.error} />
        </div>
      )}
    </form>
  );
}
