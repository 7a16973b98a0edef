'use client';

import '@xterm/xterm/css/xterm.css';
import { btn } from '../ui/buttons';
import { type SerialState, useSerialConsole } from './use-serial-console';

/** The VM's first serial port in a terminal, with its status and Reconnect. */
export function SerialConsole({ vmId }: { vmId: string }) {
  const { screenRef, state, reconnect, focus } = useSerialConsole(vmId);
  const connected = state.status === 'connected';

  return (
    <div className="flex min-h-0 flex-col">
      <div className="flex flex-wrap items-center gap-2 rounded-t-lg border border-b-0 border-zinc-200 bg-zinc-50 px-2 py-1.5">
        <SerialStatusText state={state} />
        <div className="ml-auto flex items-center gap-1.5">
          {state.status !== 'connected' && state.status !== 'connecting' && (
            <button type="button" data-testid="serial-reconnect" className={btn.secondary} onClick={reconnect}>
              Reconnect
            </button>
          )}
        </div>
      </div>
      {/* Clicking anywhere in the box gives the terminal the keyboard. */}
      {/* biome-ignore lint/a11y/useKeyWithClickEvents lint/a11y/noStaticElementInteractions: xterm's own textarea takes the keys */}
      <div
        className="relative aspect-[16/10] w-full rounded-b-lg border border-t-0 border-zinc-200 bg-zinc-950 p-1.5"
        onClick={focus}
      >
        {/* xterm.js owns this element's children: React renders none. */}
        <div ref={screenRef} data-testid="serial-screen" className="absolute inset-1.5" />
        {!connected && state.status === 'connecting' && (
          <div className="pointer-events-none absolute inset-0 flex items-center justify-center text-sm text-zinc-400">
            Connecting to the serial console…
          </div>
        )}
      </div>
    </div>
  );
}

function SerialStatusText({ state }: { state: SerialState }) {
  const dot =
    state.status === 'connected'
      ? 'bg-emerald-500'
      : state.status === 'disconnected'
        ? 'bg-zinc-400'
        : 'bg-amber-400 animate-pulse';
  const text =
    state.status === 'connected'
      ? 'Connected — serial port (ttyS0)'
      : state.status === 'connecting'
        ? 'Connecting…'
        : `${state.status === 'reconnecting' ? 'Reconnecting' : 'Disconnected'}${state.reason ? `: ${state.reason}` : ''}`;
  return (
    <span
      data-testid="serial-status"
      data-state={state.status}
      className="flex min-w-0 items-center gap-1.5 text-xs text-zinc-600"
    >
      <span aria-hidden className={`size-2 shrink-0 rounded-full ${dot}`} />
      <span className="truncate">{text}</span>
    </span>
  );
}
