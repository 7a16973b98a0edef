import type { Metadata } from 'next';
import Link from 'next/link';
import { btn } from '@/modules/ui/buttons';

export const metadata: Metadata = { title: 'Sign-in failed' };

/** What went wrong, per reason the manager's SSO callback gives (packages/api/src/edge/oidc-endpoint.ts). */
const MESSAGES: Record<string, { title: string; text: string }> = {
  expired: {
    title: 'The sign-in expired',
    text: 'The sign-in took longer than 10 minutes, or was started in another browser or tab. Start it again.',
  },
  state: {
    title: 'The sign-in could not be verified',
    text: 'The answer from the identity provider does not belong to this sign-in (the state did not match). Nobody was signed in. Start again from the login page.',
  },
  denied: {
    title: 'The sign-in was cancelled',
    text: 'The identity provider says access was denied or cancelled. Try again, or ask your administrator for access.',
  },
  provider: {
    title: 'The identity provider’s answer was refused',
    text: 'The identity provider returned an error or an answer Vireo could not verify. Try again; if it keeps happening, ask your administrator to check the single sign-on settings (the audit log has the details).',
  },
  unavailable: {
    title: 'The identity provider cannot be reached',
    text: 'Vireo could not read the identity provider’s configuration. Try again in a moment, or log in with a local account.',
  },
  disabled: {
    title: 'This account is disabled',
    text: 'Your account exists in Vireo but is disabled. Ask an administrator to enable it.',
  },
  failed: {
    title: 'The sign-in failed',
    text: 'Something went wrong while signing you in. Try again, or ask your administrator (the audit log has the details).',
  },
};

export default async function SsoErrorPage({ searchParams }: { searchParams: Promise<{ reason?: string }> }) {
  const { reason } = await searchParams;
  const message = MESSAGES[reason ?? ''] ?? MESSAGES.failed;
  return (
    <div className="flex min-h-dvh items-center justify-center bg-zinc-100 p-4">
      <div className="w-full max-w-sm">
        <div className="mb-5 flex items-center justify-center gap-2.5">
          {/* biome-ignore lint/performance/noImgElement: a static SVG from public/ */}
          <img src="/vireo-logo.svg" alt="" width={32} height={32} />
          <span className="text-xl font-semibold tracking-tight text-zinc-900">Vireo</span>
        </div>
        <div className="rounded-lg border border-zinc-200 bg-white p-5 shadow-sm" data-testid="sso-error">
          <h1 className="mb-2 text-sm font-semibold text-red-700" data-testid="sso-error-title">
            {message?.title}
          </h1>
          <p className="mb-4 text-sm text-zinc-700">{message?.text}</p>
          <Link href="/login" data-testid="sso-error-back" className={`${btn.primary} h-8 w-full`}>
            Back to the login page
          </Link>
        </div>
      </div>
    </div>
  );
}
