'use client';

import type { ReactNode } from 'react';
import { PageHeader } from '../ui/page-header';
import { useSeesInfra } from '../permissions/use-infra-role';
import { useSession } from './use-session';

/**
 * Renders an admin page only for admins; anyone else gets a plain explanation instead of the
 * API's FORBIDDEN error (the server enforces the rule either way).
 */
export function AdminOnly({
  title,
  children,
  orInfraRole = false,
}: {
  title: string;
  children: ReactNode;
  /** Also for a delegated admin: a role on a datacenter, cluster, host or the system (the API filters). */
  orInfraRole?: boolean;
}) {
  const { user } = useSession();
  const seesInfra = useSeesInfra();
  if (user?.role === 'admin' || (orInfraRole && seesInfra)) return children;
  const deciding = !user || (orInfraRole && seesInfra === undefined);
  return (
    <>
      <PageHeader title={title} />
      <div className="min-h-0 flex-1 bg-zinc-50 p-4">
        {!deciding && user && (
          <div
            data-testid="admin-only"
            className="max-w-xl rounded-lg border border-zinc-200 bg-white px-4 py-3 text-sm text-zinc-600 shadow-xs"
          >
            <p className="font-medium text-zinc-900">
              {orInfraRole
                ? 'This page needs an administrator, or a role on a datacenter, cluster or host.'
                : 'This page needs an administrator.'}
            </p>
            <p className="mt-1">
              You are logged in as <span className="font-medium text-zinc-900">{user.username}</span>, who can manage
              only their own virtual machines. Ask an administrator if you need more.
            </p>
          </div>
        )}
      </div>
    </>
  );
}
