import type { Metadata } from 'next';
import { Suspense } from 'react';
import { LoginForm } from '@/modules/auth/login-form';

export const metadata: Metadata = { title: 'Log in' };

export default function LoginPage() {
  return (
    <div className="flex min-h-dvh items-center justify-center bg-zinc-100 p-4">
      <div className="w-full max-w-xs">
        <div className="mb-5 flex items-center justify-center gap-2.5">
          {/* biome-ignore lint/performance/noImgElement: a static SVG from public/ */}
          <img src="/vireo-logo.svg" alt="" width={32} height={32} />
          <span className="text-xl font-semibold tracking-tight text-zinc-900">Vireo</span>
        </div>
        <div className="rounded-lg border border-zinc-200 bg-white p-5 shadow-sm">
          <h1 className="mb-4 text-sm font-semibold text-zinc-900">Log in to the console</h1>
          <Suspense>
            <LoginForm />
          </Suspense>
        </div>
      </div>
    </div>
  );
}
