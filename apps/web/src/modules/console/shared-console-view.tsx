'use client';

import type RFB from '@novnc/novnc';
import { CONSOLE_CLOSE } from '@vireo/protocol';
import { useEffect, useRef, useState } from 'react';

/** The public endpoint of share links (console-share.ts on the manager). */
const SHARE_WS_PATH = '/ws/console-share';

type ViewState = { status: 'connecting' | 'connected' | 'ended'; text: string };

/** Why the view ended, from the socket's close code (noVNC's own events do not carry it). */
function endText(code: number, reason: string): string {
  if (code === CONSOLE_CLOSE.shareRevoked) return 'The link was revoked.';
  if (code === CONSOLE_CLOSE.shareExpired) return 'The link expired.';
  if (code === 1006) return 'The link is invalid, revoked or expired, or the VM is not running.';
  return reason ? `Disconnected: ${reason}.` : 'Disconnected.';
}

/**
 * A VM's screen through a view-only share link: noVNC in viewOnly mode. The manager enforces it
 * too (it drops every key, pointer and clipboard message), so nothing here is trusted.
 */
export function SharedConsoleView() {
  const screenRef = useRef<HTMLDivElement>(null);
  const [state, setState] = useState<ViewState>({ status: 'connecting', text: 'Connecting…' });
  const [name, setName] = useState<string | null>(null);

  useEffect(() => {
    let rfb: RFB | null = null;
    let cancelled = false;
    const token = window.location.hash.slice(1);
    if (!token) {
      setState({ status: 'ended', text: 'This link has no token.' });
      return;
    }
    void (async () => {
      const { default: RfbClass } = await import('@novnc/novnc');
      const target = screenRef.current;
      if (cancelled || !target) return;
      const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
      const ws = new WebSocket(
        `${scheme}://${window.location.host}${SHARE_WS_PATH}?token=${encodeURIComponent(token)}`,
      );
      ws.binaryType = 'arraybuffer';
      ws.addEventListener('close', (e) => {
        if (!cancelled) setState({ status: 'ended', text: endText(e.code, e.reason) });
      });
      rfb = new RfbClass(target, ws, { shared: true });
      rfb.viewOnly = true;
      rfb.scaleViewport = true;
      rfb.background = '#09090b';
      rfb.addEventListener('connect', () => {
        if (!cancelled) setState({ status: 'connected', text: 'View only' });
      });
      rfb.addEventListener('desktopname', (e) => {
        if (!cancelled) setName((e as CustomEvent<{ name: string }>).detail?.name ?? null);
      });
    })();
    return () => {
      cancelled = true;
      try {
        rfb?.disconnect();
      } catch {
        // Already disconnected.
      }
    };
  }, []);

  const dot =
    state.status === 'connected'
      ? 'bg-emerald-500'
      : state.status === 'connecting'
        ? 'animate-pulse bg-amber-400'
        : 'bg-zinc-400';
  return (
    <div className="flex h-dvh flex-col bg-zinc-950">
      <div className="flex items-center gap-2 bg-zinc-900 px-3 py-1.5 text-xs text-zinc-300">
        {/* biome-ignore lint/performance/noImgElement: a static SVG from public/ */}
        <img src="/vireo-logo.svg" alt="" width={16} height={16} />
        <span className="text-sm font-semibold text-white">{name ?? 'Shared console'}</span>
        <span data-testid="shared-status" data-state={state.status} className="flex items-center gap-1.5">
          <span aria-hidden className={`size-2 rounded-full ${dot}`} />
          {state.text}
        </span>
        <span className="ml-auto rounded bg-zinc-800 px-1.5 py-px text-zinc-400">
          View only: keys and mouse are not sent
        </span>
      </div>
      <div className="relative min-h-0 flex-1">
        {/* noVNC owns this element's children (it adds its own canvas): React renders none. */}
        <div ref={screenRef} data-testid="vnc-screen" className="absolute inset-0" />
        {state.status !== 'connected' && (
          <div className="pointer-events-none absolute inset-0 flex items-center justify-center text-sm text-zinc-400">
            {state.text}
          </div>
        )}
      </div>
    </div>
  );
}
