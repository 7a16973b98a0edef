'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTRPC } from '@/trpc/client';
import type { HostView } from '@/trpc/types';
import { btn } from '../ui/buttons';
import { ConfirmDialog } from '../ui/confirm-dialog';
import { ErrorText } from '../ui/error-text';
import { useCan } from '../permissions/use-can';

type Way = 'plain' | 'force' | 'evacuate';

/**
 * Removes a host from the inventory. Offline without VMs, or evacuated (in maintenance, no VM
 * left): a plain removal. Offline with VMs: only with force, whose dialog lists the VMs and says
 * what happens to them. Online with VMs: "Evacuate and remove" (maintenance, then the removal).
 * The name must be typed to confirm; the server checks everything again.
 */
export function RemoveHostButton({ host }: { host: HostView }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const invalidate = () => queryClient.invalidateQueries({ queryKey: trpc.host.list.queryKey() });
  const remove = useMutation(trpc.host.remove.mutationOptions({ onSuccess: invalidate }));
  const evacuate = useMutation(trpc.host.evacuateAndRemove.mutationOptions({ onSuccess: invalidate }));
  const plan = useQuery({ ...trpc.host.removalPlan.queryOptions({ hostId: host.id }), enabled: confirming });
  const online = host.status === 'online';
  const evacuated = host.maintenance === 'maintenance' && host.vmCount === 0;
  const way: Way = evacuated || (!online && host.vmCount === 0) ? 'plain' : online ? 'evacuate' : 'force';
  // Removing a host is the administrators' (host.remove: manage on the system).
  const mayRemove = useCan('manage', 'system', '');
  if (!mayRemove || (online && !evacuated && host.vmCount === 0)) return null;
  const pending = remove.isPending || evacuate.isPending;
  const label = { plain: 'Remove', force: 'Remove with force…', evacuate: 'Evacuate and remove…' }[way];
  const vms = plan.data?.vms ?? [];
  return (
    <div className="mt-1">
      <button
        type="button"
        className={`${btn.danger} h-7 px-2 text-xs`}
        disabled={pending}
        onClick={() => setConfirming(true)}
      >
        {pending ? 'Removing…' : label}
      </button>
      {remove.error && <ErrorText error={remove.error} />}
      {evacuate.error && <ErrorText error={evacuate.error} />}
      {evacuate.data && <p className="mt-1 text-xs text-zinc-600">Evacuating; the host goes once it is empty.</p>}
      {confirming && (
        <ConfirmDialog
          title={way === 'evacuate' ? `Evacuate and remove host ${host.name}?` : `Remove host ${host.name}?`}
          confirmLabel={{ plain: 'Remove host', force: 'Remove with force', evacuate: 'Evacuate and remove' }[way]}
          requireText={host.name}
          danger={way !== 'plain'}
          testId="remove-host-dialog"
          onCancel={() => setConfirming(false)}
          onConfirm={() => {
            setConfirming(false);
            if (way === 'evacuate') evacuate.mutate({ hostId: host.id });
            else remove.mutate({ hostId: host.id, force: way === 'force' });
          }}
        >
          {way === 'plain' && (
            <p>
              The host leaves the inventory and its agent credential stops working. It has no VMs. To bring the machine
              back later, enroll it again with a new token.
            </p>
          )}
          {way !== 'plain' && (
            <>
              <p>
                {host.vmCount === 1 ? '1 VM is' : `${host.vmCount} VMs are`} recorded on {host.name}:
              </p>
              <ul className="my-2 max-h-40 list-disc overflow-auto pl-5 text-sm" data-testid="remove-host-vms">
                {plan.isLoading && <li>Loading…</li>}
                {vms.map((v) => (
                  <li key={v.id}>
                    {v.name} <span className="text-zinc-500">({v.state})</span>
                  </li>
                ))}
              </ul>
              {way === 'force' ? (
                <p>
                  <strong>Force:</strong> the host leaves the inventory and its agent credential stops working.{' '}
                  {plan.data?.forceEffect}
                </p>
              ) : (
                <p>
                  Maintenance moves each VM to another host of its cluster; once none is left, the host leaves the
                  inventory and its agent credential stops working. If a VM cannot be moved, the host is kept (in
                  maintenance) and the task says why.
                </p>
              )}
            </>
          )}
        </ConfirmDialog>
      )}
    </div>
  );
}
