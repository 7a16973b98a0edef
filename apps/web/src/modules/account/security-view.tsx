'use client';

import { useSession } from '../auth/use-session';
import { PageHeader } from '../ui/page-header';
import { TotpSettings } from './totp-settings';

/** The signed-in user's own sign-in security (any role): for now their TOTP second factor. */
export function SecurityView() {
  const { user } = useSession();
  return (
    <>
      <PageHeader
        title="Sign-in security"
        meta={user && <span data-testid="account-user">{`${user.username} · ${user.role}`}</span>}
      />
      <div className="min-h-0 flex-1 overflow-auto bg-zinc-50 p-2 sm:p-4">
        <div className="max-w-3xl space-y-4">
          <TotpSettings />
        </div>
      </div>
    </>
  );
}
