/**
 * A lean browser stand-in for scale runs: logs in (its own session, as each browser has) and
 * holds the `live.onChange` SSE stream the UI holds, parsing only what the measurement needs.
 * Lean on purpose: fifty tRPC client stacks in the harness process would measure the harness.
 */

export interface VmChange {
  uuid: string;
  state: string;
}

/** POST auth.login; returns the session cookie. */
export async function login(baseUrl: string, username: string, password: string): Promise<string> {
  const res = await fetch(`${baseUrl}/api/trpc/auth.login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (!res.ok) throw new Error(`login failed: HTTP ${res.status} ${(await res.text()).slice(0, 300)}`);
  const cookie = res.headers
    .getSetCookie()
    .map((c) => c.split(';')[0] ?? '')
    .find((c) => c.startsWith('vireo_session='));
  if (!cookie) throw new Error('login answered without a session cookie');
  return cookie;
}

export interface LiveClient {
  /** Resolves once the stream is open (the server sent its first event). */
  opened: Promise<void>;
  close(): void;
}

/**
 * Opens the live stream; `onVm` gets every VM change (uuid and state) with its arrival time.
 * Other kinds (hosts, tasks, events) are only counted.
 */
export function openLive(
  baseUrl: string,
  cookie: string,
  onVm: (change: VmChange, at: number) => void,
  counts: { messages: number; bytes: number; reconnects?: number } = { messages: 0, bytes: 0 },
): LiveClient {
  const abort = new AbortController();
  let markOpen: () => void = () => {};
  let failOpen: (err: unknown) => void = () => {};
  const opened = new Promise<void>((resolve, reject) => {
    markOpen = resolve;
    failOpen = reject;
  });
  const run = async () => {
    const res = await fetch(`${baseUrl}/api/trpc/live.onChange`, {
      headers: { cookie, accept: 'text/event-stream' },
      signal: abort.signal,
    });
    if (!res.ok || !res.body) throw new Error(`live stream refused: HTTP ${res.status}`);
    const decoder = new TextDecoder();
    let buffer = '';
    const reader = res.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) throw new Error('the live stream ended');
      const at = Date.now();
      markOpen();
      buffer += decoder.decode(value, { stream: true });
      let end = buffer.indexOf('\n\n');
      while (end >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        end = buffer.indexOf('\n\n');
        counts.messages += 1;
        counts.bytes += block.length;
        for (const line of block.split('\n')) {
          if (!line.startsWith('data: ') || !line.includes('"kind":"vm"')) continue;
          type Item = { kind?: string; vm?: VmChange };
          const msg = JSON.parse(line.slice(6)) as Item & { items?: Item[] };
          // A storm arrives in batches (several items per message).
          for (const item of msg.kind === 'batch' ? (msg.items ?? []) : [msg]) {
            if (item.kind === 'vm' && item.vm) onVm({ uuid: item.vm.uuid, state: item.vm.state }, at);
          }
        }
      }
    }
  };
  // Reconnects as EventSource does. A keep-alive connection the server is closing just as it is
  // reused (ECONNRESET) was seen when the manager was busy; a browser would simply retry too.
  const loop = async () => {
    for (let attempt = 1; !abort.signal.aborted; attempt++) {
      try {
        await run();
      } catch (err) {
        if (abort.signal.aborted) return;
        const cause = (err as { cause?: { code?: string } }).cause;
        counts.reconnects = (counts.reconnects ?? 0) + 1;
        if (attempt >= 10) {
          failOpen(new Error(`live stream failed 10 times: ${String(err)} ${cause?.code ?? ''}`));
          return;
        }
      }
      await new Promise((r) => setTimeout(r, 250));
    }
  };
  void loop();
  return { opened, close: () => abort.abort() };
}
