import type { Metadata } from 'next';
import Link from 'next/link';

export const metadata: Metadata = { title: 'Page not found' };

/** Any path Vireo does not serve: a page in Vireo's own look with a way back. */
export default function NotFound() {
  return (
    <div className="flex min-h-dvh flex-col bg-zinc-100">
      <header className="flex h-11 shrink-0 items-center bg-zinc-900 px-3">
        <Link href="/vms" className="flex items-center gap-2 text-white">
          {/* biome-ignore lint/performance/noImgElement: a static SVG from public/, no optimisation needed */}
          <img src="/vireo-logo.svg" alt="" width={22} height={22} />
          <span className="text-sm font-semibold tracking-tight">Vireo</span>
        </Link>
      </header>
      <main className="flex flex-1 items-start justify-center px-4 pt-[15vh]">
        <div
          data-testid="not-found"
          className="w-full max-w-md rounded-lg border border-zinc-200 bg-white px-6 py-5 shadow-xs"
        >
          <p className="font-mono text-xs font-semibold tracking-wider text-teal-700">404</p>
          <h1 className="mt-1 text-lg font-semibold text-zinc-900">This page does not exist</h1>
          <p className="mt-2 text-sm text-zinc-600">
            The address may be mistyped, or what it pointed to has been removed.
          </p>
          <div className="mt-4 flex gap-2">
            <Link
              href="/vms"
              className="inline-flex h-8 items-center rounded-md bg-teal-700 px-3 text-sm font-medium text-white hover:bg-teal-800"
            >
              Go to virtual machines
            </Link>
          </div>
        </div>
      </main>
    </div>
  );
}
