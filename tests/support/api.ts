/**
 * A tRPC client for tests that logs in like a browser (session cookie) and can subscribe to
 * live changes over SSE, exactly as the UI does.
 */
import { createTRPCClient, httpBatchLink, httpSubscriptionLink, splitLink, TRPCClientError } from '@trpc/client';
import type { AppRouter, LiveChange, StatsBatch, VmView } from '@vireo/api';
import { randomUUID } from 'node:crypto';
import { EventSource } from 'eventsource';

export const baseUrl = () => process.env.VIREO_TEST_URL ?? 'http://127.0.0.1:3100';
export const adminPassword = () => process.env.VIREO_TEST_ADMIN_PASSWORD ?? '';

export type Api = ReturnType<typeof makeClient>['api'];

function makeClient(url = baseUrl()) {
  let cookie = '';
  const cookieFetch: typeof fetch = async (input, init) => {
    const headers = new Headers(init?.headers);
    if (cookie) headers.set('cookie', cookie);
    const res = await fetch(input, { ...init, headers });
    const set = res.headers.getSetCookie();
    for (const c of set) {
      const pair = c.split(';')[0] ?? '';
      if (pair.startsWith('vireo_session=')) cookie = pair;
    }
    return res;
  };
  class CookieEventSource extends EventSource {
    constructor(url: string | URL, init?: EventSourceInit) {
      super(url, {
        ...init,
        fetch: (u, i) => fetch(u, { ...i, headers: { ...(i?.headers as Record<string, string>), cookie } }),
      });
    }
  }
  const api = createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: httpSubscriptionLink({ url: `${url}/api/trpc`, EventSource: CookieEventSource as never }),
        false: httpBatchLink({ url: `${url}/api/trpc`, fetch: cookieFetch }),
      }),
    ],
  });
  return { api, cookie: () => cookie };
}

/** `url`: another manager of the same installation (tests of several managers). */
export async function loginAs(username: string, password: string, url = baseUrl()) {
  const client = makeClient(url);
  await client.api.auth.login.mutate({ username, password });
  return client;
}

export async function admin(url = baseUrl()) {
  return loginAs('admin', adminPassword(), url);
}

/** The error's stable code (data.vireoCode) and message, for assertions. */
export async function rejection(p: Promise<unknown>): Promise<{ code: string | null; message: string }> {
  try {
    await p;
  } catch (err) {
    if (err instanceof TRPCClientError) {
      const data = err.data as { vireoCode?: string | null } | undefined;
      return { code: data?.vireoCode ?? null, message: err.message };
    }
    throw err;
  }
  throw new Error('expected the call to be rejected, but it succeeded');
}

export async function waitTask(api: Api, taskId: string, timeoutMs = 90_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const task = await api.task.byId.query({ taskId });
    if (task.state === 'succeeded' || task.state === 'failed') return task;
    if (Date.now() > deadline)
      throw new Error(`task ${taskId} (${task.kind}) still ${task.state} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Collects live changes until stopped. */
export function watchChanges(api: Api, onChange: (c: LiveChange) => void) {
  const sub = api.live.onChange.subscribe(undefined, {
    onData: (d) => {
      for (const item of d.data.kind === 'batch' ? d.data.items : [d.data]) if (item.kind !== 'stats') onChange(item);
    },
  });
  return () => sub.unsubscribe();
}

/**
 * Collects stats batches for the given VMs until stopped, as a browser tab gets them: one live
 * stream named by an id, and `live.watchStats` naming the VMs it wants (sent once the stream is up).
 */
export function watchStats(api: Api, vmIds: string[], onBatch: (b: StatsBatch) => void) {
  const streamId = `test-${randomUUID()}`;
  const sub = api.live.onChange.subscribe(
    { streamId },
    {
      onStarted: () => void api.live.watchStats.mutate({ streamId, vmIds }),
      onData: (d) => {
        for (const item of d.data.kind === 'batch' ? d.data.items : [d.data])
          if (item.kind === 'stats') onBatch(item.stats);
      },
    },
  );
  return () => sub.unsubscribe();
}

/** Every VM the caller may see: `vm.list` pages (at most 500 rows a call), read to the end. */
export async function listAllVms(api: Api): Promise<VmView[]> {
  const all: VmView[] = [];
  for (;;) {
    const page = await api.vm.list.query({ offset: all.length, limit: 500 });
    all.push(...page.rows);
    if (page.rows.length === 0 || all.length >= page.total) return all;
  }
}

export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}${Math.floor(Math.random() * 1e4)}`;
}

/** The seeded kernel-boot template, by name: tests make templates of their own, which may sort first. */
export const DEFAULT_TEMPLATE = 'vireo-tiny';

export async function defaultTemplate(api: Api) {
  const template = (await api.template.list.query()).find((t) => t.name === DEFAULT_TEMPLATE);
  if (!template) throw new Error(`the seeded default template ${DEFAULT_TEMPLATE} is missing`);
  return template;
}

/** Creates a small VM from the default template (started unless told otherwise) and waits for it. */
export async function createTestVm(api: Api, prefix: string, opts: { start?: boolean } = {}) {
  const template = await defaultTemplate(api);
  const { taskId, vmId } = await api.vm.create.mutate({
    name: uniqueName(prefix),
    templateId: template.id,
    vcpus: 1,
    memoryMiB: 128,
    start: opts.start ?? true,
  });
  const task = await waitTask(api, taskId);
  if (task.state !== 'succeeded') throw new Error(`creating a test VM failed: ${task.errorMessage}`);
  return { vmId, vm: await api.vm.byId.query({ vmId }) };
}

/**
 * Forces off and deletes each VM that still exists (a test's `after`): best effort, so one that
 * a failed test left half-made does not hide the failure itself.
 */
export async function removeVms(api: Api, vmIds: readonly string[]): Promise<void> {
  for (const vmId of vmIds) {
    const vm = await api.vm.byId.query({ vmId }).catch(() => null);
    if (!vm) continue;
    if (vm.state !== 'shutoff') await waitTask(api, (await api.vm.forceOff.mutate({ vmId })).taskId).catch(() => {});
    await waitTask(api, (await api.vm.delete.mutate({ vmId })).taskId).catch(() => {});
  }
}
