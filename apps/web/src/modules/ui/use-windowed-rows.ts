'use client';

import { useCallback, useLayoutEffect, useRef, useState } from 'react';

/**
 * Minimal windowing for fixed-height table rows in a scroll container with a sticky header:
 * only rows in view (plus overscan) are rendered; spacer rows keep the scrollbar honest.
 * Thousands of VMs then cost a few dozen DOM rows.
 */
export function useWindowedRows(count: number, rowHeight: number, overscan = 12) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const headerRef = useRef<HTMLTableSectionElement>(null);
  const [view, setView] = useState({ top: 0, height: 1000 });

  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (!el) return;
    let frame = 0;
    const measure = () => {
      frame = 0;
      setView((prev) =>
        prev.top === el.scrollTop && prev.height === el.clientHeight
          ? prev
          : { top: el.scrollTop, height: el.clientHeight },
      );
    };
    const onScroll = () => {
      if (!frame) frame = requestAnimationFrame(measure);
    };
    measure();
    el.addEventListener('scroll', onScroll, { passive: true });
    const resize = new ResizeObserver(onScroll);
    resize.observe(el);
    return () => {
      el.removeEventListener('scroll', onScroll);
      resize.disconnect();
      if (frame) cancelAnimationFrame(frame);
    };
  }, []);

  const start = Math.max(0, Math.floor(view.top / rowHeight) - overscan);
  const end = Math.min(count, Math.ceil((view.top + view.height) / rowHeight) + overscan);

  /** Scrolls just enough for row `index` to be fully visible below the sticky header. */
  const scrollToIndex = useCallback(
    (index: number) => {
      const el = scrollRef.current;
      if (!el) return;
      const header = headerRef.current?.offsetHeight ?? 0;
      const rowTop = index * rowHeight;
      const visibleRows = el.clientHeight - header;
      if (rowTop < el.scrollTop) el.scrollTop = rowTop;
      else if (rowTop + rowHeight > el.scrollTop + visibleRows) el.scrollTop = rowTop + rowHeight - visibleRows;
    },
    [rowHeight],
  );

  return {
    scrollRef,
    headerRef,
    start,
    end,
    padTop: start * rowHeight,
    padBottom: Math.max(0, (count - end) * rowHeight),
    scrollToIndex,
  };
}
