'use client';

import { type KeyboardEvent, type MouseEvent, type ReactNode, useEffect, useId, useRef, useState } from 'react';
import { btn } from '../ui/buttons';

/**
 * "More ▾": the VM's rarer actions in a drop-down. A disclosure (a button that shows a panel),
 * not an ARIA menu: its items are the actions' own buttons, with their dialogs. The panel stays
 * mounted and is only hidden, so a dialog an item opened lives on after the panel closes (dialogs
 * render into <body>). Arrow keys move between items; Escape, a click outside or picking an item
 * closes it, and Escape gives focus back to "More".
 */
export function VmMoreMenu({ children }: { children: ReactNode }) {
  const [open, setOpen] = useState(false);
  const panelId = useId();
  const rootRef = useRef<HTMLDivElement>(null);
  const toggleRef = useRef<HTMLButtonElement>(null);

  useEffect(() => {
    if (!open) return;
    const onPointer = (e: PointerEvent) => {
      if (e.target instanceof Node && !rootRef.current?.contains(e.target)) setOpen(false);
    };
    document.addEventListener('pointerdown', onPointer);
    // The first usable item takes focus, as in any menu.
    items(rootRef.current)[0]?.focus();
    return () => document.removeEventListener('pointerdown', onPointer);
  }, [open]);

  const onKeyDown = (e: KeyboardEvent) => {
    if (!open) return;
    if (e.key === 'Escape') {
      e.preventDefault();
      setOpen(false);
      toggleRef.current?.focus();
      return;
    }
    const list = items(rootRef.current);
    if (list.length === 0) return;
    const at = list.indexOf(document.activeElement as HTMLButtonElement);
    const next: Record<string, number> = {
      ArrowDown: (at + 1) % list.length,
      ArrowUp: (at - 1 + list.length) % list.length,
      Home: 0,
      End: list.length - 1,
    };
    if (e.key in next) {
      e.preventDefault();
      list[next[e.key] as number]?.focus();
    }
  };

  // Picking an item closes the panel (its dialog, if any, opens in <body>).
  const closeOnPick = (e: MouseEvent) => {
    if (e.target instanceof Element && e.target.closest('[data-testid="vm-more-panel"] button')) setOpen(false);
  };

  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: keys and clicks bubble up from the buttons inside.
    <div ref={rootRef} className="relative" onKeyDown={onKeyDown} onClick={closeOnPick}>
      <button
        ref={toggleRef}
        type="button"
        className={btn.secondary}
        data-testid="vm-more"
        aria-expanded={open}
        aria-controls={panelId}
        onClick={() => setOpen((o) => !o)}
      >
        More
        <svg viewBox="0 0 16 16" className="size-3.5" aria-hidden="true" fill="currentColor">
          <path d="M4 6l4 4 4-4z" />
        </svg>
      </button>
      <div
        id={panelId}
        data-testid="vm-more-panel"
        hidden={!open}
        className={
          'absolute right-0 z-40 mt-1 w-52 rounded-md border border-zinc-200 bg-white py-1 shadow-lg max-sm:left-0 max-sm:right-auto ' +
          // The actions' own buttons, made to look like menu items.
          '[&_button]:flex [&_button]:h-8 [&_button]:w-full [&_button]:justify-start [&_button]:rounded-none ' +
          '[&_button]:border-0 [&_button]:px-3 [&_button]:shadow-none [&_button]:font-normal ' +
          '[&_hr]:my-1 [&_hr]:border-zinc-100'
        }
      >
        {children}
      </div>
    </div>
  );
}

function items(root: HTMLElement | null): HTMLButtonElement[] {
  const panel = root?.querySelector('[data-testid="vm-more-panel"]');
  return panel ? Array.from(panel.querySelectorAll<HTMLButtonElement>('button:not([disabled])')) : [];
}
