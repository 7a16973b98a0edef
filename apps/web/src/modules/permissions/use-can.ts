'use client';

import { useQuery } from '@tanstack/react-query';
import { useTRPC } from '@/trpc/client';
import { useSession } from '../auth/use-session';

type Action = 'view' | 'operate' | 'edit' | 'create' | 'delete' | 'manage';
type Kind = 'system' | 'datacenter' | 'cluster' | 'host' | 'project' | 'template' | 'vm';

/**
 * May the signed-in user do `action` on this object (permission.can, the API's own answer)? For
 * offering only the buttons that would work: a delegated admin sees its scope's actions, nothing
 * that would answer "needs an administrator". False while unknown; administrators need no round trip.
 */
export function useCan(action: Action, scopeKind: Kind, scopeId: string): boolean {
  const trpc = useTRPC();
  const { user } = useSession();
  const isAdmin = user?.role === 'admin';
  const answer = useQuery({
    ...trpc.permission.can.queryOptions({ action, scopeKind, scopeId: scopeKind === 'system' ? '' : scopeId }),
    enabled: !!user && !isAdmin && (scopeKind === 'system' || scopeId !== ''),
    staleTime: 60_000,
  });
  return isAdmin || answer.data?.allowed === true;
}
