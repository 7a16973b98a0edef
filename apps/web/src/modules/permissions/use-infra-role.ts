'use client';

import { useQuery } from '@tanstack/react-query';
import { useTRPC } from '@/trpc/client';
import { useSession } from '../auth/use-session';

const INFRA_SCOPES = new Set(['system', 'datacenter', 'cluster', 'host']);
const RUNS_HOSTS = new Set(['admin', 'owner', 'operator']);

type Binding = { role: string; scopeKind: string };

/**
 * The signed-in user's own role bindings (permission.mine), read once a minute, and answered
 * through `test`: true for an administrator at once; undefined while a user's roles are loading.
 */
function useMyRoles(test: (bindings: Binding[]) => boolean): boolean | undefined {
  const trpc = useTRPC();
  const { user } = useSession();
  const mine = useQuery({
    ...trpc.permission.mine.queryOptions(),
    enabled: !!user && user.role !== 'admin',
    staleTime: 60_000,
  });
  if (user?.role === 'admin') return true;
  if (!mine.data) return mine.isError ? false : undefined;
  return test(mine.data);
}

/**
 * Does the signed-in user run hosts somewhere (an administrator, or an operator or owner on a
 * host, cluster, datacenter or the system)? Decides whether host-level actions such as Migrate
 * are offered; the API checks each one on the hosts it names either way.
 */
export function useRunsHosts(): boolean {
  return useMyRoles((bs) => bs.some((b) => INFRA_SCOPES.has(b.scopeKind) && RUNS_HOSTS.has(b.role))) === true;
}

/**
 * Does the signed-in user manage some scope (an administrator, or an owner or admin on a project,
 * host, cluster…)? Only they look users up (permission.findUsers), so only they are offered the
 * roles panel of a single VM; the API checks 'manage' on the VM either way.
 */
export function useManagesSomeScope(): boolean {
  return useMyRoles((bs) => bs.some((b) => b.role === 'owner' || b.role === 'admin')) === true;
}

/**
 * Does the signed-in user see some infrastructure (an administrator, or any role on a host,
 * cluster, datacenter or the system)? Decides whether Inventory and Hosts are in the navigation:
 * a delegated operator works there on its scope (the API filters what it sees). Undefined until
 * the roles are known, so a page does not flash "needs an administrator".
 */
export function useSeesInfra(): boolean | undefined {
  return useMyRoles((bs) => bs.some((b) => INFRA_SCOPES.has(b.scopeKind)));
}
