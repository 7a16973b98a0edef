'use client';

import { useRef, useState } from 'react';
import { btn } from './buttons';

/**
 * Read-only text with a Copy button. The async Clipboard API exists only in secure contexts
 * (HTTPS or localhost); a manager reached over plain HTTP on a LAN address has none, so the
 * fallback selects the text for the user to press Ctrl+C.
 */
// The field grows to its text (field-sizing; `rows` is the floor where that is unsupported): on a
// phone the command and even the token wrap onto more lines than `rows`, and a half-hidden line
// of a secret to copy reads as broken.
export function CopyField({ value, testId, rows = 1 }: { value: string; testId?: string; rows?: number }) {
  const ref = useRef<HTMLTextAreaElement>(null);
  const [state, setState] = useState<'idle' | 'copied' | 'selected'>('idle');

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      setState('copied');
    } catch {
      ref.current?.focus();
      ref.current?.select();
      setState('selected');
    }
  };

  return (
    <div className="flex items-start gap-2">
      <textarea
        ref={ref}
        data-testid={testId}
        readOnly
        rows={rows}
        value={value}
        spellCheck={false}
        onFocus={(e) => e.currentTarget.select()}
        className="field-sizing-content min-w-0 flex-1 resize-none rounded-md border border-zinc-300 bg-zinc-50 px-2.5 py-1.5 font-mono text-xs break-all text-zinc-900 focus:border-sky-600 focus:ring-2 focus:ring-sky-600/20 focus:outline-none"
      />
      <div className="flex w-24 shrink-0 flex-col items-stretch gap-1">
        <button type="button" className={btn.secondary} onClick={copy}>
          {state === 'copied' ? 'Copied ✓' : 'Copy'}
        </button>
        {state === 'selected' && <span className="text-center text-[11px] text-zinc-500">Press Ctrl+C</span>}
      </div>
    </div>
  );
}
