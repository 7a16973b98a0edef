'use client';

import { type ReactNode, useEffect, useId, useRef } from 'react';

/**
 * A modal frame: dimmed backdrop, title, body, footer bar. Escape calls onClose. Focus moves to
 * the dialog itself, not to a button, so a stray Enter does nothing; a caller may move it further
 * in its own effect (children's effects run first, so the caller's wins).
 */
export function Dialog({
  title,
  children,
  footer,
  onClose,
  width = 'max-w-md',
  testId,
}: {
  title: ReactNode;
  children: ReactNode;
  footer: ReactNode;
  onClose: () => void;
  width?: string;
  testId?: string;
}) {
  const titleId = useId();
  const boxRef = useRef<HTMLDivElement>(null);
  const close = useRef(onClose);
  close.current = onClose;

  useEffect(() => {
    boxRef.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') close.current();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  return (
    <div className="fixed inset-0 z-50 flex items-start justify-center bg-zinc-950/40 px-4 pt-[15vh]">
      <div
        ref={boxRef}
        tabIndex={-1}
        role="dialog"
        aria-modal="true"
        aria-labelledby={titleId}
        data-testid={testId}
        className={`w-full ${width} rounded-lg border border-zinc-200 bg-white shadow-xl outline-none`}
      >
        <div className="space-y-3 px-4 pt-4 pb-3">
          <h2 id={titleId} className="text-sm font-semibold text-zinc-900">
            {title}
          </h2>
          <div className="text-sm text-zinc-600">{children}</div>
        </div>
        <div className="flex items-center justify-end gap-2 rounded-b-lg border-t border-zinc-100 bg-zinc-50 px-4 py-2.5">
          {footer}
        </div>
      </div>
    </div>
  );
}
