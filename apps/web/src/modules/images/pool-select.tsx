'use client';

import { useQuery } from '@tanstack/react-query';
import { useEffect } from 'react';
import { useTRPC } from '@/trpc/client';
import { inputClass } from '../ui/buttons';
import { formatBytes } from '../ui/format';

/**
 * The pools an image can go to on the chosen host (from the Storage page's list: pools running
 * there), with the free space libvirt reports. Picks the first (or `default`) when the current
 * choice is not among them.
 */
export function PoolSelect({
  id,
  hostId,
  value,
  onChange,
  disabled = false,
  testId,
}: {
  id: string;
  hostId: string;
  value: string;
  onChange: (v: string) => void;
  disabled?: boolean;
  testId?: string;
}) {
  const trpc = useTRPC();
  const pools = useQuery({ ...trpc.storage.list.queryOptions(), enabled: !!hostId, refetchInterval: 10_000 });
  const choices = (pools.data ?? []).flatMap((p) => {
    const here = p.hosts.find((h) => h.hostId === hostId);
    return here?.libvirt?.state === 'running' ? [{ name: p.name, free: here.libvirt.availableBytes }] : [];
  });
  const names = choices.map((c) => c.name).join('\n');
  useEffect(() => {
    const list = names ? names.split('\n') : [];
    if (list.length > 0 && !list.includes(value)) onChange(list.includes('default') ? 'default' : (list[0] ?? ''));
  }, [names, value, onChange]);

  return (
    <select
      id={id}
      data-testid={testId}
      className={inputClass}
      value={choices.some((c) => c.name === value) ? value : ''}
      disabled={disabled || !hostId || choices.length === 0}
      onChange={(e) => onChange(e.target.value)}
    >
      {!hostId && <option value="">Choose a host first</option>}
      {hostId && choices.length === 0 && (
        <option value="">{pools.isLoading ? 'Loading pools…' : 'No running pool on this host'}</option>
      )}
      {choices.map((c) => (
        <option key={c.name} value={c.name}>
          {c.name} — {formatBytes(c.free)} free
        </option>
      ))}
    </select>
  );
}
