'use client';

import { type ReactNode, useEffect, useId, useRef, useState } from 'react';
import { btn, inputClass } from './buttons';

export interface ConfirmDialogProps {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  /** When set, the user must type exactly this text (e.g. the VM name) to enable confirm. */
  requireText?: string;
  danger?: boolean;
  onConfirm: () => void;
  onCancel: () => void;
}

/**
 * A modal confirmation. Escape cancels; Enter confirms once allowed. Focus goes to
 * the text box when typing is required, otherwise to Cancel (a stray Enter must not destroy).
 */
export function ConfirmDialog({
  title,
  children,
  confirmLabel,
  requireText,
  danger = true,
  onConfirm,
  onCancel,
}: ConfirmDialogProps) {
  const [typed, setTyped] = useState('');
  const titleId = useId();
  const inputRef = useRef<HTMLInputElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const allowed = requireText === undefined || typed === requireText;
  const cancel = useRef(onCancel);
  cancel.current = onCancel;
  const needsText = requireText !== undefined;

  useEffect(() => {
    (needsText ? inputRef.current : cancelRef.current)?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') cancel.current();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [needsText]);

  return (
    <div className="fixed inset-0 z-50 flex items-start justify-center bg-zinc-950/40 pt-[15vh]">
      <div
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        className="w-full max-w-md rounded-lg border border-zinc-200 bg-white shadow-xl"
      >
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (allowed) onConfirm();
          }}
        >
          <div className="space-y-3 px-4 pt-4 pb-3">
            <h2 id={titleId} className="text-sm font-semibold text-zinc-900">
              {title}
            </h2>
            <div className="text-sm text-zinc-600">{children}</div>
            {requireText !== undefined && (
              <label className="block space-y-1">
                <span className="text-xs text-zinc-600">
                  Type <span className="font-mono font-semibold text-zinc-900">{requireText}</span> to confirm
                </span>
                <input
                  ref={inputRef}
                  data-testid="confirm-input"
                  className={`${inputClass} font-mono`}
                  value={typed}
                  onChange={(e) => setTyped(e.target.value)}
                  autoComplete="off"
                  spellCheck={false}
                />
              </label>
            )}
          </div>
          <div className="flex justify-end gap-2 rounded-b-lg border-t border-zinc-100 bg-zinc-50 px-4 py-2.5">
            <button ref={cancelRef} type="button" className={btn.secondary} onClick={onCancel}>
              Cancel
            </button>
            <button
              type="submit"
              data-testid="confirm-ok"
              disabled={!allowed}
              className={danger ? btn.dangerSolid : btn.primary}
            >
              {confirmLabel}
            </button>
          </div>
        </form>
      </div>
    </div>
  );
}
