'use client';

import { type ReactNode, useEffect, useId, useRef, useState } from 'react';
import { btn, inputClass } from './buttons';
import { Dialog } from './dialog';

export interface ConfirmDialogProps {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  /** When set, the user must type exactly this text (e.g. the VM name) to enable confirm. */
  requireText?: string;
  danger?: boolean;
  testId?: string;
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
  testId,
  onConfirm,
  onCancel,
}: ConfirmDialogProps) {
  const [typed, setTyped] = useState('');
  const inputRef = useRef<HTMLInputElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const allowed = requireText === undefined || typed === requireText;
  const needsText = requireText !== undefined;
  const formId = useId();

  useEffect(() => {
    (needsText ? inputRef.current : cancelRef.current)?.focus();
  }, [needsText]);

  return (
    <Dialog
      title={title}
      testId={testId}
      onClose={onCancel}
      footer={
        <>
          <button ref={cancelRef} type="button" className={btn.secondary} onClick={onCancel}>
            Cancel
          </button>
          <button
            type="submit"
            form={formId}
            data-testid="confirm-ok"
            disabled={!allowed}
            className={danger ? btn.dangerSolid : btn.primary}
          >
            {confirmLabel}
          </button>
        </>
      }
    >
      <form
        id={formId}
        className="space-y-3"
        onSubmit={(e) => {
          e.preventDefault();
          if (allowed) onConfirm();
        }}
      >
        <div>{children}</div>
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
      </form>
    </Dialog>
  );
}
