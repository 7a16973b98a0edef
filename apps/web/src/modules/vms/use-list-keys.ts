'use client';

import { type RefObject, useEffect, useRef } from 'react';

interface ListKeys {
  filterRef: RefObject<HTMLInputElement | null>;
  onMove: (delta: number) => void;
  onOpen: () => void;
  /** Checks or unchecks the selected row for a bulk action. */
  onToggle?: () => void;
}

function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return target.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(target.tagName);
}

/**
 * List keyboard: j/k or arrows move the selection, Enter opens it, x checks it (bulk actions),
 * "/" focuses the filter.
 * In the filter box, arrows and Enter still drive the list and Escape returns to it.
 */
export function useListKeys({ filterRef, onMove, onOpen, onToggle }: ListKeys): void {
  const handlers = useRef({ onMove, onOpen, onToggle });
  handlers.current = { onMove, onOpen, onToggle };

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented || e.altKey || e.ctrlKey || e.metaKey) return;
      const inFilter = e.target === filterRef.current;
      if (isTyping(e.target) && !inFilter) return;
      if (document.querySelector('[aria-modal="true"]')) return;
      const { onMove: move, onOpen: open, onToggle: toggle } = handlers.current;
      const key = e.key;
      // Enter on a focused link or button belongs to it, not to the list.
      if (key === 'Enter' && e.target instanceof HTMLElement && e.target.closest('a,button')) return;
      if (key === 'ArrowDown' || (!inFilter && key === 'j')) move(1);
      else if (key === 'ArrowUp' || (!inFilter && key === 'k')) move(-1);
      else if (key === 'PageDown') move(20);
      else if (key === 'PageUp') move(-20);
      else if (key === 'Enter') open();
      else if (key === '/' && !inFilter) filterRef.current?.focus();
      else if (key === 'x' && !inFilter && toggle) toggle();
      else if (key === 'Escape' && inFilter) filterRef.current?.blur();
      else return;
      e.preventDefault();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [filterRef]);
}
