/**
 * The VM list's filter and sort, as the URL holds them (`?q=web&state=running&host=…&sort=memory
 * &dir=desc`), so a reload or a shared link shows the same list. Unknown values fall back to the
 * defaults rather than failing: a URL is user input.
 */
import type { RouterInputs, VmState } from '@/trpc/types';

// The router's input type is `void | {…}` (the input may be omitted).
type ListInput = Extract<RouterInputs['vm']['list'], object>;
export type VmSortKey = NonNullable<ListInput['sort']>;
export type SortDir = 'asc' | 'desc';

export interface VmListParams {
  q: string;
  state: VmState | null;
  hostId: string | null;
  /** Admins only (others always see their own). */
  ownerId: string | null;
  tag: string | null;
  /** Only VMs whose lease expires within this many days (issue 10); null: any. */
  leaseDays: number | null;
  sort: VmSortKey;
  dir: SortDir;
}

export const DEFAULT_PARAMS: VmListParams = {
  q: '',
  state: null,
  hostId: null,
  ownerId: null,
  tag: null,
  leaseDays: null,
  sort: 'name',
  dir: 'asc',
};

/** What the API takes as a tag (tagNameSchema); anything else in the URL is ignored. */
const TAG = /^[a-z0-9][a-z0-9._:-]{0,39}$/;

// Objects keyed by every member, so a state or sort key added to the API must be added here.
const STATE_KEYS = {
  creating: 1,
  shutoff: 1,
  running: 1,
  paused: 1,
  shutdown: 1,
  crashed: 1,
  pmsuspended: 1,
  unknown: 1,
  deleting: 1,
} satisfies Record<VmState, 1>;
export const VM_STATE_OPTIONS = Object.keys(STATE_KEYS) as VmState[];

const SORT_KEYS = { name: 1, state: 1, host: 1, memory: 1, vcpus: 1, created: 1, lease: 1 } satisfies Record<
  VmSortKey,
  1
>;

/** The "lease expires within" choices (days). */
export const LEASE_DAYS_OPTIONS = [1, 7, 30] as const;

function isState(value: string | null): value is VmState {
  return value !== null && Object.hasOwn(STATE_KEYS, value);
}

function isSort(value: string | null): value is VmSortKey {
  return value !== null && Object.hasOwn(SORT_KEYS, value);
}

export function parseParams(search: URLSearchParams): VmListParams {
  const state = search.get('state');
  const sort = search.get('sort');
  return {
    q: (search.get('q') ?? '').slice(0, 63),
    state: isState(state) ? state : null,
    hostId: search.get('host') || null,
    ownerId: search.get('owner') || null,
    tag: TAG.test(search.get('tag') ?? '') ? search.get('tag') : null,
    leaseDays: LEASE_DAYS_OPTIONS.find((d) => String(d) === search.get('lease')) ?? null,
    sort: isSort(sort) ? sort : 'name',
    dir: search.get('dir') === 'desc' ? 'desc' : 'asc',
  };
}

/** Only what differs from the defaults, so the plain list keeps a plain URL. */
export function formatParams(p: VmListParams): string {
  const out = new URLSearchParams();
  if (p.q.trim()) out.set('q', p.q.trim());
  if (p.state) out.set('state', p.state);
  if (p.hostId) out.set('host', p.hostId);
  if (p.ownerId) out.set('owner', p.ownerId);
  if (p.tag) out.set('tag', p.tag);
  if (p.leaseDays !== null) out.set('lease', String(p.leaseDays));
  if (p.sort !== 'name') out.set('sort', p.sort);
  if (p.dir !== 'asc') out.set('dir', p.dir);
  const s = out.toString();
  return s ? `?${s}` : '';
}

/**
 * What `vm.list` is asked for these params (without offset/limit). A lease filter counts from
 * the start of the current minute, so the query key (and the loaded pages) stay put meanwhile.
 */
export function listFilter(p: VmListParams) {
  const minute = Math.floor(Date.now() / 60_000) * 60_000;
  return {
    sort: p.sort,
    dir: p.dir,
    ...(p.q.trim() ? { name: p.q.trim() } : {}),
    ...(p.state ? { states: [p.state] } : {}),
    ...(p.hostId ? { hostId: p.hostId } : {}),
    ...(p.ownerId ? { ownerId: p.ownerId } : {}),
    ...(p.tag ? { tag: p.tag } : {}),
    ...(p.leaseDays !== null ? { leaseBefore: new Date(minute + p.leaseDays * 86_400_000).toISOString() } : {}),
  } satisfies ListInput;
}
