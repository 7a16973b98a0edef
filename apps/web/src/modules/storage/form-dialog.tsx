'use client';

import { type ReactNode, useEffect, useId, useRef } from 'react';
import { btn } from '../ui/buttons';
import { Dialog } from '../ui/dialog';
import { ErrorText } from '../ui/error-text';

/** A labelled control: `children` renders it with the id the label points at. */
export function Field({
  label,
  hint,
  children,
}: {
  label: string;
  hint?: ReactNode;
  children: (id: string) => ReactNode;
}) {
  const id = useId();
  return (
    <div className="space-y-1">
      <label htmlFor={id} className="block text-xs font-medium text-zinc-700">
        {label}
      </label>
      {children(id)}
      {hint && <span className="block text-xs text-zinc-500">{hint}</span>}
    </div>
  );
}

/** A form dialog: Enter submits, Escape closes; the first field takes focus. */
export function FormDialog({
  title,
  submitLabel,
  busy,
  canSubmit,
  error,
  testId,
  onSubmit,
  onClose,
  children,
}: {
  title: string;
  submitLabel: string;
  busy: boolean;
  canSubmit: boolean;
  error: unknown;
  testId: string;
  onSubmit: () => void;
  onClose: () => void;
  children: ReactNode;
}) {
  const formId = useId();
  const formRef = useRef<HTMLFormElement>(null);
  useEffect(() => {
    // After Dialog's own effect (a child's runs first), so the first field wins over the frame.
    formRef.current?.querySelector<HTMLElement>('input, select')?.focus();
  }, []);
  return (
    <Dialog
      title={title}
      testId={testId}
      onClose={onClose}
      footer={
        <>
          <button type="button" className={btn.secondary} onClick={onClose}>
            Cancel
          </button>
          <button
            type="submit"
            form={formId}
            data-testid="dialog-submit"
            className={btn.primary}
            disabled={busy || !canSubmit}
          >
            {busy ? 'Working…' : submitLabel}
          </button>
        </>
      }
    >
      <form
        ref={formRef}
        id={formId}
        className="space-y-3"
        onSubmit={(e) => {
          e.preventDefault();
          if (canSubmit && !busy) onSubmit();
        }}
      >
        {children}
        <ErrorText error={error} testId="dialog-error" />
      </form>
    </Dialog>
  );
}
