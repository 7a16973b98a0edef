/**
 * Applies one pushed change to the TanStack Query cache, so every list and detail view showing
 * that object updates in place. Objects that did not change keep their identity, which lets
 * memoised table rows skip re-rendering.
 */
import type { QueryClient } from '@tanstack/react-query';
import type { useTRPC } from '@/trpc/client';
import type { LiveChange, TaskView } from '@/trpc/types';
import { applyVmToLists, removeVmFromLists } from './vm-list-cache';

type Trpc = ReturnType<typeof useTRPC>;

const TASK_LIST_LIMIT = 50;
const EVENT_LIST_LIMIT = 100;

/** Replaces the item with the same id, or adds it (at the front when `prepend`). */
export function upsertById<T extends { id: string }>(list: T[] | undefined, item: T, prepend = false): T[] | undefined {
  if (!list) return list;
  const index = list.findIndex((x) => x.id === item.id);
  if (index === -1) return prepend ? [item, ...list] : [...list, item];
  const next = list.slice();
  next[index] = item;
  return next;
}

export function applyLiveChange(queryClient: QueryClient, trpc: Trpc, change: LiveChange): void {
  switch (change.kind) {
    case 'vm': {
      const { vm } = change;
      applyVmToLists(queryClient, trpc, vm);
      refreshInventory(queryClient, trpc);
      const before = queryClient.getQueryData(trpc.vm.byId.queryKey({ vmId: vm.id }));
      queryClient.setQueryData(trpc.vm.byId.queryKey({ vmId: vm.id }), vm);
      // Events reach admins only (they can name other hosts): an owner's VM page refetches its
      // VM's events when its state changes, which is when most of them are written.
      if (before && before.state !== vm.state) {
        void queryClient.invalidateQueries({ queryKey: trpc.event.listForVm.queryKey({ vmId: vm.id }) });
      }
      return;
    }
    case 'vmRemoved': {
      removeVmFromLists(queryClient, trpc, change.vmId);
      refreshInventory(queryClient, trpc);
      // Task history: its tasks no longer link to it (the database set their vmId to null too).
      queryClient.setQueryData(trpc.task.list.queryKey(), (list) =>
        list?.some((t) => t.vmId === change.vmId)
          ? list.map((t) => (t.vmId === change.vmId ? { ...t, vmId: null } : t))
          : list,
      );
      // The detail page refetches and shows "no longer exists" from the server's own answer.
      void queryClient.invalidateQueries({ queryKey: trpc.vm.byId.queryKey({ vmId: change.vmId }) });
      return;
    }
    case 'host': {
      queryClient.setQueryData(trpc.host.list.queryKey(), (list) => upsertById(list, change.host));
      refreshInventory(queryClient, trpc);
      return;
    }
    case 'hostRemoved': {
      queryClient.setQueryData(trpc.host.list.queryKey(), (list) => list?.filter((h) => h.id !== change.hostId));
      refreshInventory(queryClient, trpc);
      return;
    }
    case 'task': {
      const { task } = change;
      queryClient.setQueryData(trpc.task.list.queryKey(), (list) =>
        upsertById(list, task, true)?.slice(0, TASK_LIST_LIMIT),
      );
      queryClient.setQueryData(trpc.task.byId.queryKey({ taskId: task.id }), task);
      if (task.vmId) {
        queryClient.setQueryData(trpc.task.listForVm.queryKey({ vmId: task.vmId }), (list) =>
          upsertById(list, task, true)?.slice(0, TASK_LIST_LIMIT),
        );
      }
      patchHostTasks(queryClient, trpc, task);
      return;
    }
    case 'event': {
      queryClient.setQueryData(trpc.event.list.queryKey(), (list) =>
        upsertById(list, change.event, true)?.slice(0, EVENT_LIST_LIMIT),
      );
      if (change.event.vmId) {
        queryClient.setQueryData(trpc.event.listForVm.queryKey({ vmId: change.event.vmId }), (list) =>
          upsertById(list, change.event, true)?.slice(0, EVENT_LIST_LIMIT),
        );
      }
      if (change.event.hostId) {
        queryClient.setQueryData(trpc.event.listForHost.queryKey({ hostId: change.event.hostId }), (list) =>
          upsertById(list, change.event, true)?.slice(0, EVENT_LIST_LIMIT),
        );
      }
      return;
    }
    case 'alert': {
      // A resolve replaces its firing row in place; a new alert goes to the front.
      queryClient.setQueryData(trpc.alert.list.queryKey(), (list) => upsertById(list, change.alert, true));
      return;
    }
    case 'alertRule': {
      queryClient.setQueryData(trpc.alert.rules.queryKey(), (list) => upsertById(list, change.rule));
      return;
    }
    case 'inventory': {
      void queryClient.invalidateQueries({ queryKey: trpc.inventory.pathKey() });
      return;
    }
    case 'alertRuleRemoved': {
      queryClient.setQueryData(trpc.alert.rules.queryKey(), (list) => list?.filter((r) => r.id !== change.ruleId));
      queryClient.setQueryData(trpc.alert.list.queryKey(), (list) => list?.filter((a) => a.ruleId !== change.ruleId));
      return;
    }
  }
}

const INVENTORY_REFRESH_MS = 1000;
let inventoryRefresh: ReturnType<typeof setTimeout> | undefined;

/**
 * A VM or host changed: the inventory tree's counts and the expanded hosts' VM leaves refetch if
 * on screen, at most once a second, so a storm of VM changes costs a request a second, not one
 * per change (and a refetch is never cancelled by the next change before it lands).
 */
function refreshInventory(queryClient: QueryClient, trpc: Trpc): void {
  if (inventoryRefresh) return;
  inventoryRefresh = setTimeout(() => {
    inventoryRefresh = undefined;
    void queryClient.invalidateQueries({ queryKey: trpc.inventory.pathKey(), refetchType: 'active' });
  }, INVENTORY_REFRESH_MS);
}

/**
 * Host pages' task lists: a task already listed is replaced in place; one not listed may be a new
 * task of that host (task views do not name their host), so open host lists refetch.
 */
function patchHostTasks(queryClient: QueryClient, trpc: Trpc, task: TaskView): void {
  for (const [key, list] of queryClient.getQueriesData<TaskView[]>({ queryKey: trpc.task.listForHost.queryKey() })) {
    if (list?.some((t) => t.id === task.id)) queryClient.setQueryData(key, upsertById(list, task));
    else void queryClient.invalidateQueries({ queryKey: key, exact: true });
  }
}

/** After a reconnect, changes may have been missed: refetch what is on screen. */
export function resyncAfterReconnect(queryClient: QueryClient, trpc: Trpc): void {
  for (const key of [
    trpc.vm.pathKey(),
    trpc.host.pathKey(),
    trpc.task.pathKey(),
    trpc.event.pathKey(),
    trpc.alert.pathKey(),
    trpc.inventory.pathKey(),
  ]) {
    void queryClient.invalidateQueries({ queryKey: key });
  }
}
