'use client';

import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useTRPC } from '@/trpc/client';
import { inputClass } from '../ui/buttons';
import { Field, FormDialog } from '../ui/form-dialog';

export function PoolCreateDialog({ onClose }: { onClose: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const targets = useQuery(trpc.storage.targets.queryOptions());
  const clusters = targets.data ?? [];
  const hosts = clusters.flatMap((c) => c.hosts);
  const [name, setName] = useState('');
  const [path, setPath] = useState('');
  const [scope, setScope] = useState<'cluster' | 'host'>('cluster');
  const [owner, setOwner] = useState('');
  const ownerId = owner || (scope === 'cluster' ? clusters[0]?.id : hosts[0]?.id) || '';
  const create = useMutation(
    trpc.storage.createPool.mutationOptions({
      onSuccess: () => {
        void queryClient.invalidateQueries({ queryKey: trpc.storage.list.queryKey() });
        onClose();
      },
    }),
  );
  return (
    <FormDialog
      title="New storage pool"
      submitLabel="Create pool"
      testId="pool-create-dialog"
      busy={create.isPending}
      canSubmit={name.length > 0 && path.startsWith('/') && ownerId !== ''}
      error={create.error}
      onClose={onClose}
      onSubmit={() =>
        create.mutate(
          scope === 'cluster' ? { scope, clusterId: ownerId, name, path } : { scope, hostId: ownerId, name, path },
        )
      }
    >
      <Field label="Name" hint="a-z 0-9 _ . - ; the libvirt pool name on every host.">
        {(id) => (
          <input
            id={id}
            className={`${inputClass} font-mono`}
            value={name}
            onChange={(e) => setName(e.target.value)}
            spellCheck={false}
            autoComplete="off"
          />
        )}
      </Field>
      <Field label="Directory" hint="Absolute path; created on each host if missing.">
        {(id) => (
          <input
            id={id}
            className={`${inputClass} font-mono`}
            value={path}
            onChange={(e) => setPath(e.target.value)}
            spellCheck={false}
            autoComplete="off"
            placeholder="/var/lib/vireo/pools/fast"
          />
        )}
      </Field>
      <Field
        label="Where"
        hint={
          scope === 'cluster'
            ? 'Every host of the cluster must see the same directory (a shared filesystem).'
            : 'One host only.'
        }
      >
        {(id) => (
          <div className="flex gap-2">
            <select
              id={id}
              className={`${inputClass} w-32`}
              value={scope}
              onChange={(e) => {
                setScope(e.target.value as 'cluster' | 'host');
                setOwner('');
              }}
            >
              <option value="cluster">Cluster</option>
              <option value="host">Host</option>
            </select>
            <select
              aria-label={scope === 'cluster' ? 'Cluster' : 'Host'}
              className={inputClass}
              value={ownerId}
              onChange={(e) => setOwner(e.target.value)}
            >
              {scope === 'cluster'
                ? clusters.map((c) => (
                    <option key={c.id} value={c.id}>
                      {c.name}
                    </option>
                  ))
                : hosts.map((h) => (
                    <option key={h.id} value={h.id}>
                      {h.name}
                    </option>
                  ))}
            </select>
          </div>
        )}
      </Field>
    </FormDialog>
  );
}
