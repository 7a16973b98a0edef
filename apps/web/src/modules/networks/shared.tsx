'use client';

import { useQueryClient } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { useTRPC } from '@/trpc/client';

/** Per-host state and leases come live from libvirt: polled, as libvirt-dbus signals no lease changes. */
export const POLL_MS = 3_000;

export function Field({ label, children }: { label: string; children: ReactNode }) {
  return (
    // biome-ignore lint/a11y/noLabelWithoutControl: every caller passes its input or select as the children
    <label className="block text-xs font-medium text-zinc-600">
      <span className="mb-1 block">{label}</span>
      {children}
    </label>
  );
}

export function useInvalidateNetworks() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries({ queryKey: trpc.network.pathKey() });
}
