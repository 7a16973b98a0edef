'use client';

import { useQuery } from '@tanstack/react-query';
import { memo, type RefObject, useEffect, useRef, useState } from 'react';
import { useTRPC } from '@/trpc/client';
import { useSession } from '../auth/use-session';
import { inputBase } from '../ui/buttons';
import { SearchIcon } from '../ui/icons';
import { LEASE_DAYS_OPTIONS, VM_STATE_OPTIONS, type VmListParams } from './vm-list-params';

/** Typing settles this long before the list (and the URL) follow it. */
const SEARCH_DEBOUNCE_MS = 250;

// Not inputBase: its w-full would win over a width set here (stylesheet order, see buttons.ts).
const select =
  'h-7 min-w-0 rounded-md border border-zinc-300 bg-white px-2 text-sm text-zinc-900 shadow-xs ' +
  'focus:border-sky-600 focus:outline-none focus:ring-2 focus:ring-sky-600/20';

interface FiltersProps {
  params: VmListParams;
  onChange: (next: Partial<VmListParams>) => void;
  filterRef: RefObject<HTMLInputElement | null>;
}

/**
 * Name search, state, host, tag and owner filters. Host and owner lists are for administrators only. Memoised: the
 * list re-renders on every scrolled frame, the filters need not.
 */
export const VmListFilters = memo(function VmListFilters({ params, onChange, filterRef }: FiltersProps) {
  const trpc = useTRPC();
  const { user } = useSession();
  const isAdmin = user?.role === 'admin';
  const hosts = useQuery(trpc.host.list.queryOptions(undefined, { enabled: isAdmin }));
  const users = useQuery(trpc.user.list.queryOptions(undefined, { enabled: isAdmin }));
  const tags = useQuery(trpc.tag.list.queryOptions());
  const [text, setText] = useState(params.q);
  const sent = useRef(params.q);

  // The URL changed by other means (back/forward, a link): the box follows it. Our own updates
  // arrive after a delay and must not undo what was typed meanwhile.
  useEffect(() => {
    if (params.q.trim() === sent.current.trim()) return;
    sent.current = params.q;
    setText(params.q);
  }, [params.q]);
  useEffect(() => {
    if (text.trim() === sent.current.trim()) return;
    const timer = setTimeout(() => {
      sent.current = text;
      onChange({ q: text });
    }, SEARCH_DEBOUNCE_MS);
    return () => clearTimeout(timer);
  }, [text, onChange]);

  // On a phone the search box has the first line, the two selects share the second.
  return (
    <div className="flex min-w-0 flex-1 flex-wrap items-center gap-2 sm:flex-none sm:flex-nowrap">
      <div className="relative min-w-0 basis-full sm:w-56 sm:basis-auto">
        <span className="pointer-events-none absolute top-1/2 left-2 -translate-y-1/2 text-zinc-400">
          <SearchIcon />
        </span>
        <input
          ref={filterRef}
          data-testid="vm-filter"
          type="search"
          placeholder="Filter by name   ( / )"
          aria-label="Filter virtual machines by name"
          className={`${inputBase} h-7 pl-7`}
          maxLength={63}
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
      </div>
      <select
        data-testid="vm-state-filter"
        aria-label="Filter by state"
        className={`${select} flex-1 sm:w-32 sm:flex-none`}
        value={params.state ?? ''}
        onChange={(e) => onChange({ state: (e.target.value || null) as VmListParams['state'] })}
      >
        <option value="">All states</option>
        {VM_STATE_OPTIONS.map((s) => (
          <option key={s} value={s}>
            {s}
          </option>
        ))}
      </select>
      {isAdmin && (
        <select
          data-testid="vm-host-filter"
          aria-label="Filter by host"
          className={`${select} flex-1 sm:w-36 sm:flex-none`}
          value={params.hostId ?? ''}
          onChange={(e) => onChange({ hostId: e.target.value || null })}
        >
          <option value="">All hosts</option>
          {hosts.data?.map((h) => (
            <option key={h.id} value={h.id}>
              {h.name}
            </option>
          ))}
          {/* A host id from the URL that is not (yet) listed still shows as chosen. */}
          {params.hostId && hosts.data && !hosts.data.some((h) => h.id === params.hostId) && (
            <option value={params.hostId}>unknown host</option>
          )}
        </select>
      )}
      <select
        data-testid="vm-tag-filter"
        aria-label="Filter by tag"
        className={`${select} flex-1 sm:w-32 sm:flex-none`}
        value={params.tag ?? ''}
        onChange={(e) => onChange({ tag: e.target.value || null })}
      >
        <option value="">All tags</option>
        {tags.data?.map((t) => (
          <option key={t.tag} value={t.tag}>
            {`${t.tag} (${t.count})`}
          </option>
        ))}
        {params.tag && !tags.data?.some((t) => t.tag === params.tag) && (
          <option value={params.tag}>{params.tag}</option>
        )}
      </select>
      <select
        data-testid="vm-lease-filter"
        aria-label="Filter by lease expiry"
        className={`${select} flex-1 sm:w-36 sm:flex-none`}
        value={params.leaseDays ?? ''}
        onChange={(e) => onChange({ leaseDays: e.target.value ? Number(e.target.value) : null })}
      >
        <option value="">Any lease</option>
        {LEASE_DAYS_OPTIONS.map((d) => (
          <option key={d} value={d}>
            {`Expires in ${d} d`}
          </option>
        ))}
      </select>
      {isAdmin && (
        <select
          data-testid="vm-owner-filter"
          aria-label="Filter by owner"
          className={`${select} flex-1 sm:w-32 sm:flex-none`}
          value={params.ownerId ?? ''}
          onChange={(e) => onChange({ ownerId: e.target.value || null })}
        >
          <option value="">All owners</option>
          {users.data?.map((u) => (
            <option key={u.id} value={u.id}>
              {u.username}
            </option>
          ))}
          {params.ownerId && users.data && !users.data.some((u) => u.id === params.ownerId) && (
            <option value={params.ownerId}>unknown user</option>
          )}
        </select>
      )}
    </div>
  );
});
