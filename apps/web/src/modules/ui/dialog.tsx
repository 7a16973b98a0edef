'use client';

import { type ReactNode, useEffect, useId, useRef } from 'react';
import { createPortal } from 'react-dom';

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/** Keeps Tab and Shift+Tab inside `box` (a modal must not let focus wander behind it). */
function trapTab(e: KeyboardEvent, box: HTMLElement): void {
  const items = Array.from(box.querySelectorAll<HTMLElement>(FOCUSABLE)).filter((el) => el.offsetParent !== null);
  const first = items[0];
  const last = items[items.length - 1];
  if (!first || !last) {
    e.preventDefault();
    box.focus();
    return;
  }
  const active = document.activeElement;
  const inside = active instanceof Node && box.contains(active);
  if (e.shiftKey && (active === first || active === box || !inside)) {
    e.preventDefault();
    last.focus();
  } else if (!e.shiftKey && (active === last || !inside)) {
    e.preventDefault();
    first.focus();
  }
}

/**
 * A modal frame: dimmed backdrop, title, body, footer bar. Escape calls onClose. Focus moves to
 * the dialog itself, not to a button, so a stray Enter does nothing; a caller may move it further
 * in its own effect (children's effects run first, so the caller's wins). Tab stays inside the
 * dialog, and focus returns to whatever had it (the button that opened it) when it closes.
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
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (!boxRef.current?.contains(document.activeElement)) boxRef.current?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') close.current();
      else if (e.key === 'Tab' && boxRef.current) trapTab(e, boxRef.current);
    };
    window.addEventListener('keydown', onKey);
    return () => {
      window.removeEventListener('keydown', onKey);
      // After the dialog is gone (an opener disabled meanwhile cannot take focus; then it stays put).
      if (opener?.isConnected) setTimeout(() => opener.focus(), 0);
    };
  }, []);

  const frame = (
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
  // Into <body>: an opener may sit in a menu that hides itself (display: none) once clicked.
  return typeof document === 'undefined' ? frame : createPortal(frame, document.body);
}
