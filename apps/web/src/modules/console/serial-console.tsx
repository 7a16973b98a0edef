'use client';

import '@xterm/xterm/css/xterm.css';
import { btn } from '../ui/buttons';
import { ExternalIcon } from '../ui/icons';
import { type SerialState, useSerialConsole } from './use-serial-console';

interface SerialConsoleProps {
  vmId: string;
  /** Fill the parent (the full-window page) instead of a 16:10 box. */
  fill?: boolean;
  /** Show "Open full window" (hidden when already in one). */
  showPopOut?: boolean;
  /** A label before the status (the VM name, in the full window). */
  label?: string;
}

/**
 * Opens the serial console alone in its own window. The page's own console is a separate session:
 * the serial port takes one client at a time, so the newest (the window) takes it over.
 */
export function openSerialWindow(vmId: string): void {
  window.open(`/vms/${vmId}/serial`, `vireo-serial-${vmId}`, 'popup,width=1000,height=640');
}

/** The VM's first serial port in a terminal, with its status, Reconnect and pop-out. */
export function SerialConsole({ vmId, fill = false, showPopOut = true, label }: SerialConsoleProps) {
  const { screenRef, state, reconnect, focus } = useSerialConsole(vmId);
  const connected = state.status === 'connected';

  return (
    <div className={`flex min-h-0 flex-col ${fill ? 'h-full' : ''}`}>
      <div
        className={`flex flex-wrap items-center gap-2 px-2 py-1.5 ${fill ? 'bg-zinc-900 text-zinc-200' : 'rounded-t-lg border border-b-0 border-zinc-200 bg-zinc-50'}`}
      >
        {label && <span className="text-sm font-semibold text-white">{label}</span>}
        <SerialStatusText state={state} dark={fill} />
        <div className="ml-auto flex max-w-full shrink-0 flex-wrap items-center justify-end gap-1.5">
          {state.status !== 'connected' && state.status !== 'connecting' && (
            <button type="button" data-testid="serial-reconnect" className={btn.secondary} onClick={reconnect}>
              Reconnect
            </button>
          )}
          {showPopOut && (
            <button
              type="button"
              data-testid="serial-open-window"
              className={btn.secondary}
              onClick={() => openSerialWindow(vmId)}
            >
              <ExternalIcon />
              Open full window
            </button>
          )}
        </div>
      </div>
      {/* Clicking anywhere in the box gives the terminal the keyboard. */}
      {/* biome-ignore lint/a11y/useKeyWithClickEvents lint/a11y/noStaticElementInteractions: xterm's own textarea takes the keys */}
      <div
        className={`relative bg-zinc-950 p-1.5 ${fill ? 'min-h-0 flex-1' : 'aspect-[16/10] w-full rounded-b-lg border border-t-0 border-zinc-200'}`}
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

function SerialStatusText({ state, dark }: { state: SerialState; dark: boolean }) {
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
      className={`flex min-w-0 items-center gap-1.5 text-xs ${dark ? 'text-zinc-300' : 'text-zinc-600'}`}
    >
      <span aria-hidden className={`size-2 shrink-0 rounded-full ${dot}`} />
      <span className="truncate">{text}</span>
    </span>
  );
}
