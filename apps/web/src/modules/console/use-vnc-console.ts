'use client';

import type RFB from '@novnc/novnc';
import { useCallback, useEffect, useRef, useState } from 'react';
import { useTRPCClient } from '@/trpc/client';
import { errorInfo, isUnauthorized } from '@/trpc/errors';
import {
  type KeyStroke,
  type PasteLayout,
  planKeyStrokes,
  XK_Alt_L,
  XK_Control_L,
  XK_F,
  XK_ISO_Level3_Shift,
  XK_Shift_L,
  XK_space,
} from './paste-layouts';

export type ConsoleStatus = 'connecting' | 'connected' | 'disconnected';

export interface ConsoleState {
  status: ConsoleStatus;
  reason: string | null;
  desktopName: string | null;
}

/** Guests drop keys typed faster than their keyboard buffer drains; a short pause keeps order. */
const KEY_PACING_MS = 8;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const MODIFIER_KEYS = {
  shift: [XK_Shift_L, 'ShiftLeft'],
  altgr: [XK_ISO_Level3_Shift, 'AltRight'],
} as const;

/** One character: its modifier held around the key; a dead key is followed by Space to stand alone. */
function pressStroke(rfb: RFB, stroke: KeyStroke): void {
  const modifier = stroke.modifier === 'none' ? null : MODIFIER_KEYS[stroke.modifier];
  if (modifier) rfb.sendKey(modifier[0], modifier[1], true);
  rfb.sendKey(stroke.keysym, stroke.code, true);
  rfb.sendKey(stroke.keysym, stroke.code, false);
  if (modifier) rfb.sendKey(modifier[0], modifier[1], false);
  if (stroke.dead) {
    rfb.sendKey(XK_space, 'Space', true);
    rfb.sendKey(XK_space, 'Space', false);
  }
}

/** Waits before reconnecting by itself: 1 s, 2 s, 4 s … at most 10 s. */
const retryDelayMs = (failures: number) => Math.min(1000 * 2 ** failures, 10_000);

/**
 * One noVNC session on a VM's console. Each (re)connect asks the API for a fresh single-use
 * ticket, then hands noVNC the WebSocket URL; noVNC opens the socket (binary frames of raw RFB).
 *
 * noVNC 1.7.0 is ESM-only, has a top-level await and touches `window` on import, so it is
 * imported dynamically here, in an effect: never during server rendering. Turbopack puts it in
 * an async chunk loaded on first use.
 */
export function useVncConsole(vmId: string) {
  const client = useTRPCClient();
  const screenRef = useRef<HTMLDivElement>(null);
  const rfbRef = useRef<RFB | null>(null);
  const [attempt, setAttempt] = useState(0);
  /** Unclean disconnects in a row; a connection that got through resets it. */
  const failuresRef = useRef(0);
  const [state, setState] = useState<ConsoleState>({ status: 'connecting', reason: null, desktopName: null });

  // biome-ignore lint/correctness/useExhaustiveDependencies: `attempt` is how Reconnect re-runs this effect
  useEffect(() => {
    let cancelled = false;
    let rfb: RFB | null = null;
    let retry: ReturnType<typeof setTimeout> | undefined;
    setState({ status: 'connecting', reason: null, desktopName: null });
    const fail = (reason: string) => {
      if (!cancelled) setState((s) => ({ ...s, status: 'disconnected', reason }));
    };
    // A lost connection (the network, a manager or agent restart) is retried by itself; the
    // Reconnect button stays for the impatient.
    const lost = (reason: string) => {
      if (cancelled) return;
      const delay = retryDelayMs(failuresRef.current++);
      fail(`${reason}; reconnecting in ${Math.round(delay / 1000)} s`);
      retry = setTimeout(() => setAttempt((n) => n + 1), delay);
    };

    void (async () => {
      try {
        const { default: RfbClass } = await import('@novnc/novnc');
        const { ticket, path } = await client.vm.consoleTicket.mutate({ vmId });
        const target = screenRef.current;
        if (cancelled || !target) return;
        const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
        const url = `${scheme}://${window.location.host}${path}?ticket=${encodeURIComponent(ticket)}`;
        rfb = new RfbClass(target, url, { shared: true });
        rfb.scaleViewport = true;
        rfb.background = '#09090b';
        rfb.addEventListener('connect', () => {
          failuresRef.current = 0;
          if (!cancelled) setState((s) => ({ ...s, status: 'connected', reason: null }));
        });
        rfb.addEventListener('disconnect', (e) => {
          const clean = (e as CustomEvent<{ clean: boolean }>).detail?.clean;
          if (clean) fail('the console connection was closed');
          else lost('the connection to the console was lost');
        });
        rfb.addEventListener('securityfailure', (e) => {
          const reason = (e as CustomEvent<{ reason?: string }>).detail?.reason;
          fail(`VNC security negotiation failed${reason ? `: ${reason}` : ''}`);
        });
        rfb.addEventListener('desktopname', (e) => {
          const name = (e as CustomEvent<{ name: string }>).detail?.name ?? null;
          if (!cancelled) setState((s) => ({ ...s, desktopName: name }));
        });
        rfbRef.current = rfb;
      } catch (err) {
        if (isUnauthorized(err)) window.location.assign('/login');
        else lost(errorInfo(err).message);
      }
    })();

    return () => {
      cancelled = true;
      clearTimeout(retry);
      rfbRef.current = null;
      try {
        rfb?.disconnect();
      } catch {
        // Already disconnected: noVNC throws nothing useful to act on here.
      }
    };
  }, [client, vmId, attempt]);

  const reconnect = useCallback(() => setAttempt((n) => n + 1), []);
  const sendCtrlAltDel = useCallback(() => rfbRef.current?.sendCtrlAltDel(), []);
  /** Ctrl+Alt+F`n` (switches the guest's virtual terminal), which the browser would keep for itself. */
  const sendCtrlAltF = useCallback((n: number) => {
    const rfb = rfbRef.current;
    if (!rfb) return;
    const fn = `F${n}`;
    rfb.sendKey(XK_Control_L, 'ControlLeft', true);
    rfb.sendKey(XK_Alt_L, 'AltLeft', true);
    rfb.sendKey(XK_F(n), fn, true);
    rfb.sendKey(XK_F(n), fn, false);
    rfb.sendKey(XK_Alt_L, 'AltLeft', false);
    rfb.sendKey(XK_Control_L, 'ControlLeft', false);
    rfb.focus();
  }, []);

  /**
   * Types `text` into the guest as a person on a `layout` keyboard would. Nothing is sent when a
   * character cannot be typed on that layout: resolves with those characters (empty when all was typed).
   */
  const typeText = useCallback(async (text: string, layout: PasteLayout): Promise<string[]> => {
    const plan = planKeyStrokes(text, layout);
    if (!plan.ok) return plan.unsupported;
    for (const stroke of plan.strokes) {
      const rfb = rfbRef.current;
      if (!rfb) break;
      pressStroke(rfb, stroke);
      await sleep(KEY_PACING_MS);
    }
    rfbRef.current?.focus();
    return [];
  }, []);

  return { screenRef, state, reconnect, sendCtrlAltDel, sendCtrlAltF, typeText };
}
