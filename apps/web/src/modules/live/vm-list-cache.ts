/**
 * Live changes to the VM list's cached pages (`vm.list` blocks, see vms/use-vm-pages.ts). A
 * change to a VM in a loaded block patches it in place; when it may move rows (a create, a
 * delete, a VM not loaded, or a change to what that block filters or sorts on), the loaded
 * blocks are refetched, debounced, so an event storm costs a refetch a second, not one per event.
 */
import type { QueryClient, QueryKey } from '@tanstack/react-query';
import type { useTRPC } from '@/trpc/client';
import type { RouterInputs, RouterOutputs, VmView } from '@/trpc/types';

type Trpc = ReturnType<typeof useTRPC>;
type VmPage = RouterOutputs['vm']['list'];
type ListInput = RouterInputs['vm']['list'];

/** Quiet time before the refetch, and the longest a refetch waits while changes keep coming. */
export const LIST_REFETCH_DEBOUNCE_MS = 300;
export const LIST_REFETCH_MAX_WAIT_MS = 1_000;

/** tRPC's query key is [path, { input, type }]. */
function inputOf(key: QueryKey): ListInput {
  return (key[1] as { input?: ListInput } | undefined)?.input;
}

/** Whether a VM changing from `old` to `next` may move it within, into or out of this list. */
export function mayMove(input: ListInput, old: VmView, next: VmView): boolean {
  const sort = input?.sort ?? 'name';
  const changed = (k: keyof VmView) => old[k] !== next[k];
  return (
    (changed('name') && (sort === 'name' || Boolean(input?.name))) ||
    (changed('state') && (sort === 'state' || Boolean(input?.states))) ||
    ((changed('hostId') || changed('hostName')) && (sort === 'host' || Boolean(input?.hostId))) ||
    (changed('memoryMiB') && sort === 'memory') ||
    (changed('vcpus') && sort === 'vcpus') ||
    (changed('ownerId') && Boolean(input?.ownerId)) ||
    (changed('projectId') && Boolean(input?.projectId)) ||
    (Boolean(input?.tag) && old.tags.join(' ') !== next.tags.join(' '))
  );
}

/**
 * One block and one changed VM: the block with the VM replaced (same object when not in it),
 * and whether the list must be refetched to be right.
 */
export function patchPage(page: VmPage, input: ListInput, vm: VmView): { page: VmPage; refetch: boolean } {
  const index = page.rows.findIndex((r) => r.id === vm.id);
  // Not loaded here: it may be new, or may have moved into or out of this block's range.
  if (index === -1) return { page, refetch: true };
  const old = page.rows[index] as VmView;
  const rows = page.rows.slice();
  rows[index] = vm;
  return { page: { ...page, rows }, refetch: mayMove(input, old, vm) };
}

/** The block without the VM (one fewer in total) until the refetch brings the rows behind it. */
export function removeFromPage(page: VmPage, vmId: string): VmPage {
  const rows = page.rows.filter((r) => r.id !== vmId);
  return rows.length === page.rows.length ? page : { rows, total: Math.max(0, page.total - 1) };
}

const pending = new WeakMap<QueryClient, { timer: ReturnType<typeof setTimeout>; since: number }>();

/** Refetches the VM list's active blocks once changes pause (at most MAX_WAIT after the first). */
export function scheduleListRefetch(queryClient: QueryClient, trpc: Trpc): void {
  const now = Date.now();
  const previous = pending.get(queryClient);
  if (previous) clearTimeout(previous.timer);
  const since = previous?.since ?? now;
  const wait = Math.max(0, Math.min(LIST_REFETCH_DEBOUNCE_MS, since + LIST_REFETCH_MAX_WAIT_MS - now));
  const timer = setTimeout(() => {
    pending.delete(queryClient);
    void queryClient.invalidateQueries({ queryKey: trpc.vm.list.pathKey() });
  }, wait);
  pending.set(queryClient, { timer, since });
}

export function applyVmToLists(queryClient: QueryClient, trpc: Trpc, vm: VmView): void {
  let refetch = false;
  for (const [key, page] of queryClient.getQueriesData<VmPage>({ queryKey: trpc.vm.list.pathKey() })) {
    if (!page) continue;
    const patched = patchPage(page, inputOf(key), vm);
    if (patched.page !== page) queryClient.setQueryData(key, patched.page);
    refetch ||= patched.refetch;
  }
  if (refetch) scheduleListRefetch(queryClient, trpc);
}

export function removeVmFromLists(queryClient: QueryClient, trpc: Trpc, vmId: string): void {
  for (const [key, page] of queryClient.getQueriesData<VmPage>({ queryKey: trpc.vm.list.pathKey() })) {
    if (!page) continue;
    const next = removeFromPage(page, vmId);
    if (next !== page) queryClient.setQueryData(key, next);
  }
  scheduleListRefetch(queryClient, trpc);
}

/** Applies `update` to every row of every cached block; blocks with no changed row keep identity. */
export function mapListRows(queryClient: QueryClient, trpc: Trpc, update: (vm: VmView) => VmView): void {
  queryClient.setQueriesData<VmPage>({ queryKey: trpc.vm.list.pathKey() }, (page) => {
    if (!page) return page;
    const rows = page.rows.map(update);
    return rows.some((vm, i) => vm !== page.rows[i]) ? { ...page, rows } : page;
  });
}
