'use client';

import { useQuery } from '@tanstack/react-query';
import { useSearchParams } from 'next/navigation';
import { useTRPC } from '@/trpc/client';
import { btn } from '../ui/buttons';
import { safeNextPath } from './safe-next-path';

/**
 * "Sign in with <provider>" when single sign-on is configured: a plain link, since the login
 * leaves Vireo for the provider's page and comes back through the manager's callback.
 */
export function SsoButton() {
  const trpc = useTRPC();
  const params = useSearchParams();
  const sso = useQuery(trpc.auth.sso.queryOptions(undefined, { staleTime: Number.POSITIVE_INFINITY }));
  if (!sso.data) return null;
  const next = safeNextPath(params.get('next'));
  const href = `${sso.data.startPath}${next === '/' ? '' : `?next=${encodeURIComponent(next)}`}`;
  return (
    <div className="mt-4 space-y-4">
      <div className="flex items-center gap-2 text-xs text-zinc-500">
        <span className="h-px flex-1 bg-zinc-200" />
        or
        <span className="h-px flex-1 bg-zinc-200" />
      </div>
      <a data-testid="login-sso" href={href} className={`${btn.secondary} h-8 w-full`}>
        Sign in with {sso.data.name}
      </a>
    </div>
  );
}
