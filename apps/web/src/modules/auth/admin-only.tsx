'use client';

import type { ReactNode } from 'react';
import { PageHeader } from '../ui/page-header';
import { useSession } from './use-session';

/**
 * Renders an admin page only for admins; anyone else gets a plain explanation instead of the
 * API's FORBIDDEN error (the server enforces the rule either way).
 */
export function AdminOnly({ title, children }: { title: string; children: ReactNode }) {
  const { user } = useSession();
  if (user?.role === 'admin') return children;
  return (
    <>
      <PageHeader title={title} />
      <div className="min-h-0 flex-1 bg-zinc-50 p-4">
        {user && (
          <div
            data-testid="admin-only"
            className="max-w-xl rounded-lg border border-zinc-200 bg-white px-4 py-3 text-sm text-zinc-600 shadow-xs"
          >
            <p className="font-medium text-zinc-900">This page needs an administrator.</p>
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
