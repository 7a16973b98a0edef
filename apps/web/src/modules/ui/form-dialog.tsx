'use client';

import { type ReactNode, useEffect, useId, useRef } from 'react';
import { btn } from './buttons';
import { Dialog } from './dialog';
import { ErrorText } from './error-text';

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

/**
 * A form dialog: Enter submits, Escape closes; the first field takes focus. The one frame for
 * every "fill in, then start" dialog (pools, volumes, templates, bulk tags…).
 */
export function FormDialog({
  title,
  submitLabel,
  busyLabel = 'Working…',
  busy,
  canSubmit,
  error,
  testId,
  submitTestId = 'dialog-submit',
  errorTestId = 'dialog-error',
  onSubmit,
  onClose,
  children,
}: {
  title: string;
  submitLabel: string;
  busyLabel?: string;
  busy: boolean;
  canSubmit: boolean;
  error: unknown;
  testId: string;
  submitTestId?: string;
  errorTestId?: string;
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
            data-testid={submitTestId}
            className={btn.primary}
            disabled={busy || !canSubmit}
          >
            {busy ? busyLabel : submitLabel}
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
        <ErrorText error={error} testId={errorTestId} />
      </form>
    </Dialog>
  );
}
