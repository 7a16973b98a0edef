'use client';

import { usePathname, useRouter, useSearchParams } from 'next/navigation';
import { type KeyboardEvent, useEffect, useRef } from 'react';

export const VM_TABS = [
  { id: 'summary', label: 'Summary' },
  { id: 'console', label: 'Console' },
  { id: 'hardware', label: 'Hardware' },
  { id: 'snapshots', label: 'Snapshots' },
  { id: 'tasks', label: 'Tasks & events' },
] as const;

export type VmTab = (typeof VM_TABS)[number]['id'];

function isTab(value: string | null): value is VmTab {
  return VM_TABS.some((t) => t.id === value);
}

/**
 * The open tab, kept in the URL (`?tab=hardware`) so a link or a reload opens the same tab.
 * Summary is the default and has no parameter. Switching replaces the history entry: the back
 * button leaves the VM rather than stepping through its tabs.
 */
export function useVmTab(): [VmTab, (tab: VmTab) => void] {
  const params = useSearchParams();
  const router = useRouter();
  const pathname = usePathname();
  const raw = params.get('tab');
  const tab: VmTab = isTab(raw) ? raw : 'summary';
  const select = (next: VmTab) => {
    const query = new URLSearchParams(params.toString());
    if (next === 'summary') query.delete('tab');
    else query.set('tab', next);
    const qs = query.toString();
    router.replace(qs ? `${pathname}?${qs}` : pathname, { scroll: false });
  };
  return [tab, select];
}

export const tabId = (tab: VmTab) => `vm-tab-${tab}`;
export const panelId = (tab: VmTab) => `vm-tabpanel-${tab}`;

/**
 * An ARIA tablist: one tab in the Tab order (the selected one), arrow keys move to the
 * neighbour and open it (tabs here are cheap to show), Home/End to the ends.
 */
export function VmTabList({ tab, onSelect }: { tab: VmTab; onSelect: (tab: VmTab) => void }) {
  const listRef = useRef<HTMLDivElement>(null);
  // On a phone the list scrolls sideways: a deep-linked tab may start off screen.
  useEffect(() => {
    listRef.current?.querySelector(`#${tabId(tab)}`)?.scrollIntoView({ block: 'nearest', inline: 'nearest' });
  }, [tab]);
  const onKeyDown = (e: KeyboardEvent) => {
    const at = VM_TABS.findIndex((t) => t.id === tab);
    const last = VM_TABS.length - 1;
    const to: Record<string, number> = {
      ArrowRight: at === last ? 0 : at + 1,
      ArrowLeft: at === 0 ? last : at - 1,
      Home: 0,
      End: last,
    };
    const index = to[e.key];
    const next = index === undefined ? undefined : VM_TABS[index];
    if (!next) return;
    e.preventDefault();
    onSelect(next.id);
    listRef.current?.querySelector<HTMLButtonElement>(`#${tabId(next.id)}`)?.focus();
  };
  return (
    <div
      ref={listRef}
      role="tablist"
      aria-label="Virtual machine"
      data-testid="vm-tabs"
      onKeyDown={onKeyDown}
      className="flex gap-1 overflow-x-auto border-b border-zinc-200 bg-white px-4 [scrollbar-width:none] max-sm:gap-0 max-sm:px-2"
    >
      {VM_TABS.map((t) => {
        const selected = t.id === tab;
        return (
          <button
            key={t.id}
            id={tabId(t.id)}
            type="button"
            role="tab"
            data-testid={tabId(t.id)}
            aria-selected={selected}
            aria-controls={panelId(t.id)}
            tabIndex={selected ? 0 : -1}
            onClick={() => onSelect(t.id)}
            className={`-mb-px shrink-0 border-b-2 px-2.5 py-2 max-sm:px-2 text-sm font-medium whitespace-nowrap focus-visible:outline-2 focus-visible:-outline-offset-2 focus-visible:outline-sky-600 ${
              selected
                ? 'border-teal-700 text-teal-800'
                : 'border-transparent text-zinc-600 hover:border-zinc-300 hover:text-zinc-900'
            }`}
          >
            {t.label}
          </button>
        );
      })}
    </div>
  );
}
