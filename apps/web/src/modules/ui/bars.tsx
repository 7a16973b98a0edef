/** A thin usage bar: amber past 75 %, red past 90 %, so hot hosts stand out in a long table. */
export function UsageBar({ percent, label, title }: { percent: number; label?: string; title?: string }) {
  const p = Math.max(0, Math.min(100, Number.isFinite(percent) ? percent : 0));
  const color = p >= 90 ? 'bg-red-500' : p >= 75 ? 'bg-amber-500' : 'bg-emerald-500';
  return (
    <div className="flex min-w-0 items-center gap-2" title={title}>
      <div className="h-1.5 w-20 shrink-0 overflow-hidden rounded-full bg-zinc-200">
        <div className={`h-full rounded-full ${color}`} style={{ width: `${p}%` }} />
      </div>
      {label !== undefined && <span className="truncate text-xs text-zinc-600 tabular-nums">{label}</span>}
    </div>
  );
}

export function ProgressBar({
  percent,
  failed = false,
  done = false,
}: {
  percent: number;
  failed?: boolean;
  done?: boolean;
}) {
  const p = Math.max(0, Math.min(100, percent));
  return (
    <div
      role="progressbar"
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={p}
      className="h-1.5 w-full overflow-hidden rounded-full bg-zinc-200"
    >
      <div
        className={`h-full rounded-full transition-[width] duration-300 ${failed ? 'bg-red-500' : done ? 'bg-emerald-500' : 'bg-sky-500'}`}
        style={{ width: `${p}%` }}
      />
    </div>
  );
}
