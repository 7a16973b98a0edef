'use client';

import { CONSOLE_CLOSE, SERIAL_READY_FRAME } from '@vireo/protocol';
import type { Terminal } from '@xterm/xterm';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useTRPCClient } from '@/trpc/client';
import { errorInfo, isUnauthorized } from '@/trpc/errors';

export type SerialStatus = 'connecting' | 'connected' | 'reconnecting' | 'disconnected';

export interface SerialState {
  status: SerialStatus;
  reason: string | null;
}

/** Waits between reconnects: 1 s, 2 s, 4 s … at most 10 s, for as long as the console is shown. */
const retryDelayMs = (failures: number) => Math.min(1000 * 2 ** failures, 10_000);

/**
 * One serial console session in xterm.js. Each (re)connect asks the API for a fresh single-use
 * ticket of kind 'serial', then opens the console WebSocket (binary frames of the port's raw
 * bytes). The terminal outlives reconnects, so what was on screen stays. A lost connection (the
 * network, the VM stopped and started again, a manager restart) is retried by itself; a console
 * taken over by another session is not, or two people would take it from each other forever.
 *
 * xterm.js touches `window` when imported: it is loaded in the effect, never during server rendering.
 */
export function useSerialConsole(vmId: string) {
  const client = useTRPCClient();
  const screenRef = useRef<HTMLDivElement>(null);
  const termRef = useRef<Terminal | null>(null);
  const [attempt, setAttempt] = useState(0);
  const [state, setState] = useState<SerialState>({ status: 'connecting', reason: null });

  // biome-ignore lint/correctness/useExhaustiveDependencies: `attempt` is how Reconnect re-runs this effect
  useEffect(() => {
    let disposed = false;
    let ws: WebSocket | null = null;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let failures = 0;
    const cleanups: (() => void)[] = [];

    const lost = (code: number | null, reason: string) => {
      if (disposed) return;
      if (code === CONSOLE_CLOSE.takenOver || code === CONSOLE_CLOSE.loggedOut) {
        setState({ status: 'disconnected', reason: reason || 'the console was closed' });
        return;
      }
      const delay = retryDelayMs(failures++);
      setState({ status: 'reconnecting', reason: `${reason}; retrying in ${Math.round(delay / 1000)} s` });
      retry = setTimeout(() => void connect(), delay);
    };

    const connect = async () => {
      const term = termRef.current;
      if (disposed || !term) return;
      setState((s) => ({ status: s.status === 'reconnecting' ? 'reconnecting' : 'connecting', reason: s.reason }));
      try {
        const { ticket, path } = await client.vm.consoleTicket.mutate({ vmId, kind: 'serial' });
        if (disposed) return;
        const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
        const socket = new WebSocket(`${scheme}://${window.location.host}${path}?ticket=${encodeURIComponent(ticket)}`);
        socket.binaryType = 'arraybuffer';
        ws = socket;
        socket.onmessage = (e) => {
          // Bytes of the port are binary frames; the manager's one text frame says the host joined.
          if (typeof e.data !== 'string') term.write(new Uint8Array(e.data as ArrayBuffer));
          else if (e.data === SERIAL_READY_FRAME && !disposed) {
            failures = 0;
            setState({ status: 'connected', reason: null });
          }
        };
        socket.onclose = (e) => {
          if (ws !== socket) return;
          ws = null;
          lost(e.code, e.reason || (e.wasClean ? 'the console was closed' : 'the connection to the console was lost'));
        };
      } catch (err) {
        if (isUnauthorized(err)) window.location.assign('/login');
        lost(null, errorInfo(err).message);
      }
    };

    void (async () => {
      const [{ Terminal }, { FitAddon }] = await Promise.all([import('@xterm/xterm'), import('@xterm/addon-fit')]);
      const target = screenRef.current;
      if (disposed || !target) return;
      const term = new Terminal({
        convertEol: false,
        cursorBlink: true,
        fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace',
        fontSize: 13,
        scrollback: 5000,
        theme: { background: '#09090b' },
      });
      const fit = new FitAddon();
      term.loadAddon(fit);
      term.open(target);
      fit.fit();
      termRef.current = term;
      const encoder = new TextEncoder();
      const send = (bytes: Uint8Array) => {
        if (ws?.readyState === WebSocket.OPEN) ws.send(bytes);
      };
      const onData = term.onData((data) => send(encoder.encode(data)));
      // Raw bytes xterm cannot express as text (e.g. some mouse reports): one byte per char code.
      const onBinary = term.onBinary((data) => send(Uint8Array.from(data, (c) => c.charCodeAt(0) & 0xff)));
      const resize = new ResizeObserver(() => fit.fit());
      resize.observe(target);
      cleanups.push(
        () => onData.dispose(),
        () => onBinary.dispose(),
        () => resize.disconnect(),
        () => term.dispose(),
      );
      await connect();
    })();

    return () => {
      disposed = true;
      clearTimeout(retry);
      ws?.close();
      ws = null;
      for (const cleanup of cleanups) cleanup();
      termRef.current = null;
    };
  }, [client, vmId, attempt]);

  const reconnect = useCallback(() => setAttempt((n) => n + 1), []);
  const focus = useCallback(() => termRef.current?.focus(), []);
  return { screenRef, state, reconnect, focus };
}
