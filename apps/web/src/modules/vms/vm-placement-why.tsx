'use client';

import { useQuery } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { useTRPC } from '@/trpc/client';
import type { RouterOutputs } from '@/trpc/types';
import { formatDateTime } from '../ui/format';

type Decision = NonNullable<RouterOutputs['placement']['forVm']>;
type Verdict = Decision['hosts'][number];

/**
 * "Why here?" beside the VM's host (admins): the placement decision kept with its create task,
 * the chosen host's score and, for every other host, why it was left out or how it scored.
 */
export function WhyHere({ vmId }: { vmId: string }) {
  const [open, setOpen] = useState(false);
  const box = useRef<HTMLSpanElement>(null);
  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => e.key === 'Escape' && setOpen(false);
    const onClick = (e: MouseEvent) => {
      if (box.current && !box.current.contains(e.target as Node)) setOpen(false);
    };
    window.addEventListener('keydown', onKey);
    window.addEventListener('mousedown', onClick);
    return () => {
      window.removeEventListener('keydown', onKey);
      window.removeEventListener('mousedown', onClick);
    };
  }, [open]);
  return (
    <span ref={box} className="relative">
      <button
        type="button"
        data-testid="why-here"
        aria-expanded={open}
        className="text-xs text-teal-800 underline decoration-dotted underline-offset-2 hover:text-teal-950"
        onClick={() => setOpen((o) => !o)}
      >
        Why here?
      </button>
      {open && <WhyPopover vmId={vmId} />}
    </span>
  );
}

function WhyPopover({ vmId }: { vmId: string }) {
  const trpc = useTRPC();
  const decision = useQuery(trpc.placement.forVm.queryOptions({ vmId }));
  return (
    <div
      role="dialog"
      aria-label="Why this host"
      data-testid="why-here-popover"
      className="absolute top-6 left-0 z-30 w-96 max-w-[85vw] rounded-lg border border-zinc-200 bg-white p-3 text-xs shadow-lg"
    >
      {decision.isPending && <p className="text-zinc-500">Loading…</p>}
      {decision.isError && <p className="text-red-700">{decision.error.message}</p>}
      {decision.data === null && (
        <p className="text-zinc-600">No placement decision was kept for this VM (made before it was recorded).</p>
      )}
      {decision.data && <DecisionBody decision={decision.data} />}
    </div>
  );
}

function DecisionBody({ decision }: { decision: Decision }) {
  return (
    <div className="space-y-2">
      <p className="text-zinc-600">
        Placed {formatDateTime(decision.decidedAt)} for {decision.memoryMiB} MiB, policy{' '}
        <span className="font-medium text-zinc-900">{decision.policy}</span>. Hosts that pass every filter are scored;
        the highest wins.
      </p>
      <ul className="space-y-1.5">
        {decision.hosts.map((h) => (
          <HostLine key={h.hostId} verdict={h} chosen={h.hostId === decision.chosen?.hostId} />
        ))}
      </ul>
    </div>
  );
}

function HostLine({ verdict, chosen }: { verdict: Verdict; chosen: boolean }) {
  return (
    <li
      data-testid="why-host"
      data-host={verdict.hostName}
      data-chosen={chosen ? 'true' : 'false'}
      className={`rounded-md border px-2 py-1.5 ${chosen ? 'border-teal-300 bg-teal-50' : 'border-zinc-200'}`}
    >
      <div className="flex items-baseline gap-2">
        <span className="font-medium text-zinc-900">{verdict.hostName}</span>
        {chosen && <span className="text-teal-800">chosen</span>}
        <span className="ml-auto tabular-nums text-zinc-700">
          {verdict.score ? `score ${verdict.score.total}` : 'excluded'}
        </span>
      </div>
      {verdict.excluded && (
        <p className="text-zinc-600">
          <span className="font-medium">{verdict.excluded.filter}:</span> {verdict.excluded.reason}
        </p>
      )}
      {verdict.score && (
        <p className="text-zinc-500">
          {verdict.score.parts.map((p) => `${p.weight} ${p.points > 0 ? '+' : ''}${p.points} (${p.note})`).join(' · ')}
        </p>
      )}
    </li>
  );
}
