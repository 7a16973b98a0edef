import { errorInfo } from '@/trpc/errors';

/** An API error as the server phrased it, plus libvirt's own words when libvirt refused. */
export function ErrorText({ error, testId }: { error: unknown; testId?: string }) {
  if (!error) return null;
  const info = errorInfo(error);
  return (
    <div
      role="alert"
      data-testid={testId}
      className="rounded-md border border-red-200 bg-red-50 px-3 py-2 text-sm text-red-800"
    >
      {info.message}
      {/* A LIBVIRT_ERROR's message already quotes libvirt: show its words once. */}
      {info.libvirt && !info.message.includes(info.libvirt) && (
        <div className="mt-1 font-mono text-xs text-red-700">libvirt: {info.libvirt}</div>
      )}
    </div>
  );
}
