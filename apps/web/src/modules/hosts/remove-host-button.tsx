'use client';

import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTRPC } from '@/trpc/client';
import type { HostView } from '@/trpc/types';
import { btn } from '../ui/buttons';
import { ConfirmDialog } from '../ui/confirm-dialog';
import { ErrorText } from '../ui/error-text';

/**
 * Removes a dead or decommissioned host from the inventory. Offered only for an offline host
 * without VMs (the server checks both again); the name must be typed to confirm.
 */
export function RemoveHostButton({ host }: { host: HostView }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const remove = useMutation(
    trpc.host.remove.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.host.list.queryKey() }),
    }),
  );
  if (host.status === 'online' || host.vmCount > 0) return null;
  return (
    <div className="mt-1">
      <button
        type="button"
        className={`${btn.danger} h-7 px-2 text-xs`}
        disabled={remove.isPending}
        onClick={() => setConfirming(true)}
      >
        {remove.isPending ? 'Removing…' : 'Remove'}
      </button>
      {remove.error && <ErrorText error={remove.error} />}
      {confirming && (
        <ConfirmDialog
          title={`Remove host ${host.name}?`}
          confirmLabel="Remove host"
          requireText={host.name}
          testId="remove-host-dialog"
          onCancel={() => setConfirming(false)}
          onConfirm={() => {
            setConfirming(false);
            remove.mutate({ hostId: host.id });
          }}
        >
          <p>
            The host leaves the inventory and its agent credential stops working. It has no VMs. To bring the machine
            back later, enroll it again with a new token.
          </p>
        </ConfirmDialog>
      )}
    </div>
  );
}
