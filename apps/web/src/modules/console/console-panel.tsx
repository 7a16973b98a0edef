'use client';

import { useState } from 'react';
import { ConsoleShareLinks } from './console-share-links';
import { SerialConsole } from './serial-console';
import { VncConsole } from './vnc-console';

type ConsoleChoice = 'vnc' | 'serial';

const CHOICES: { id: ConsoleChoice; label: string }[] = [
  { id: 'vnc', label: 'VNC' },
  { id: 'serial', label: 'Serial' },
];

/** The VM page's console: its screen (VNC) or its serial port, one at a time. */
export function ConsolePanel({ vmId }: { vmId: string }) {
  const [choice, setChoice] = useState<ConsoleChoice>('vnc');
  return (
    <div className="flex min-h-0 flex-col gap-2">
      <div role="tablist" aria-label="Console" className="flex gap-1 self-start rounded-md bg-zinc-200/70 p-0.5">
        {CHOICES.map((c) => (
          <button
            key={c.id}
            type="button"
            role="tab"
            aria-selected={choice === c.id}
            data-testid={`console-choice-${c.id}`}
            className={`h-6 rounded px-2.5 text-xs font-medium ${choice === c.id ? 'bg-white text-zinc-900 shadow-xs' : 'text-zinc-600 hover:text-zinc-900'}`}
            onClick={() => setChoice(c.id)}
          >
            {c.label}
          </button>
        ))}
      </div>
      {choice === 'vnc' ? <VncConsole vmId={vmId} /> : <SerialConsole vmId={vmId} />}
      {choice === 'vnc' && <ConsoleShareLinks vmId={vmId} />}
    </div>
  );
}
