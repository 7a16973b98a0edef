'use client';

import { useMutation } from '@tanstack/react-query';
import { useState } from 'react';
import { useTRPC } from '@/trpc/client';
import { btn, inputBase } from '../ui/buttons';
import { ConfirmDialog } from '../ui/confirm-dialog';
import { ErrorText } from '../ui/error-text';
import { ExternalIcon, Spinner } from '../ui/icons';
import { PasteDialog } from './paste-dialog';
import type { PasteLayout } from './paste-layouts';
import { type ConsoleState, useVncConsole } from './use-vnc-console';

interface VncConsoleProps {
  vmId: string;
  /** Fill the parent (the full-window page) instead of a 16:10 box. */
  fill?: boolean;
  /** Show "Open full window" (hidden when already in one). */
  showPopOut?: boolean;
  /** A label before the status (the VM name, in the full window). */
  label?: string;
}

export function openConsoleWindow(vmId: string): void {
  window.open(`/vms/${vmId}/console`, `vireo-console-${vmId}`, 'popup,width=1100,height=720');
}

/** The VM's screen with its toolbar: status, Ctrl+Alt+Del, Ctrl+Alt+Fn, paste as keystrokes, pop-out. */
export function VncConsole({ vmId, fill = false, showPopOut = true, label }: VncConsoleProps) {
  const { screenRef, state, reconnect, sendCtrlAltDel, sendCtrlAltF, typeText } = useVncConsole(vmId);
  const connected = state.status === 'connected';
  const trpc = useTRPC();
  const [confirmingCad, setConfirmingCad] = useState(false);
  const [pasting, setPasting] = useState(false);
  const [typing, setTyping] = useState(false);
  const typeInto = async (text: string, layout: PasteLayout) => {
    setTyping(true);
    try {
      await typeText(text, layout);
    } finally {
      setTyping(false);
    }
  };
  // Ctrl+Alt+Del reboots most guests: it is confirmed, and recorded as an event before it is sent.
  const recordCad = useMutation(trpc.event.recordCtrlAltDel.mutationOptions({ onSuccess: () => sendCtrlAltDel() }));

  return (
    <div className={`flex min-h-0 flex-col ${fill ? 'h-full' : ''}`}>
      <div
        className={`flex flex-wrap items-center gap-2 px-2 py-1.5 ${fill ? 'bg-zinc-900 text-zinc-200' : 'rounded-t-lg border border-b-0 border-zinc-200 bg-zinc-50'}`}
      >
        {label && <span className="text-sm font-semibold text-white">{label}</span>}
        <ConsoleStatusText state={state} dark={fill} />
        <div className="ml-auto flex max-w-full shrink-0 flex-wrap items-center justify-end gap-1.5">
          {state.status === 'disconnected' && (
            <button type="button" data-testid="console-reconnect" className={btn.secondary} onClick={reconnect}>
              Reconnect
            </button>
          )}
          <button
            type="button"
            data-testid="console-ctrl-alt-del"
            className={btn.secondary}
            disabled={!connected || recordCad.isPending}
            onClick={() => {
              recordCad.reset();
              setConfirmingCad(true);
            }}
          >
            {recordCad.isPending && <Spinner />}
            {recordCad.isPending ? 'Sending…' : 'Ctrl+Alt+Del'}
          </button>
          <CtrlAltFnMenu disabled={!connected} send={sendCtrlAltF} />
          <button
            type="button"
            data-testid="console-paste-open"
            className={btn.secondary}
            disabled={!connected || typing}
            onClick={() => setPasting(true)}
          >
            {typing && <Spinner />}
            {typing ? 'Typing…' : 'Paste text'}
          </button>
          {showPopOut && (
            <button
              type="button"
              data-testid="console-open-window"
              className={btn.secondary}
              onClick={() => openConsoleWindow(vmId)}
            >
              <ExternalIcon />
              Open full window
            </button>
          )}
        </div>
      </div>
      <div
        className={`relative bg-zinc-950 ${fill ? 'min-h-0 flex-1' : 'aspect-[16/10] w-full overflow-hidden rounded-b-lg border border-t-0 border-zinc-200'}`}
      >
        {/* noVNC owns this element's children (it adds its own canvas): React renders none. */}
        <div ref={screenRef} data-testid="vnc-screen" className="absolute inset-0" />
        {!connected && (
          <div className="pointer-events-none absolute inset-0 flex items-center justify-center text-sm text-zinc-400">
            {state.status === 'connecting' ? 'Connecting to the console…' : 'Not connected'}
          </div>
        )}
      </div>
      {recordCad.error && (
        <div className="mt-2">
          <ErrorText error={recordCad.error} testId="console-ctrl-alt-del-error" />
        </div>
      )}
      {pasting && (
        <PasteDialog onSend={(text, layout) => void typeInto(text, layout)} onClose={() => setPasting(false)} />
      )}
      {confirmingCad && (
        <ConfirmDialog
          title="Send Ctrl+Alt+Del?"
          confirmLabel="Send Ctrl+Alt+Del"
          testId="ctrl-alt-del-dialog"
          onCancel={() => setConfirmingCad(false)}
          onConfirm={() => {
            setConfirmingCad(false);
            recordCad.mutate({ vmId });
          }}
        >
          Most guests reboot at once on Ctrl+Alt+Del, without saving open work. It is recorded in the event log.
        </ConfirmDialog>
      )}
    </div>
  );
}

function ConsoleStatusText({ state, dark }: { state: ConsoleState; dark: boolean }) {
  const dot =
    state.status === 'connected'
      ? 'bg-emerald-500'
      : state.status === 'connecting'
        ? 'bg-amber-400 animate-pulse'
        : 'bg-zinc-400';
  const text =
    state.status === 'connected'
      ? `Connected${state.desktopName ? ` — ${state.desktopName}` : ''}`
      : state.status === 'connecting'
        ? 'Connecting…'
        : `Disconnected${state.reason ? `: ${state.reason}` : ''}`;
  return (
    <span
      data-testid="vnc-status"
      data-state={state.status}
      className={`flex min-w-0 items-center gap-1.5 text-xs ${dark ? 'text-zinc-300' : 'text-zinc-600'}`}
    >
      <span aria-hidden className={`size-2 shrink-0 rounded-full ${dot}`} />
      <span className="truncate">{text}</span>
    </span>
  );
}

/**
 * inputBase without its w-full: w-auto beside it does not win by order in the class string (the
 * stylesheet's order decides), and a full-width select pushed the toolbar onto three rows.
 */
const fnSelectClass = `${inputBase.replace('w-full ', '')} h-7 max-w-full py-0 pr-7 text-sm`;

const FN_KEYS = Array.from({ length: 12 }, (_, i) => i + 1);

/**
 * Ctrl+Alt+F1…F12: the browser or the desktop would take these keys if typed, so they are sent
 * from here. The closed select shows "Ctrl+Alt+Fn…" as its visible label; screen readers get the
 * aria-label, which says what choosing does.
 */
function CtrlAltFnMenu({ disabled, send }: { disabled: boolean; send: (n: number) => void }) {
  return (
    <select
      data-testid="console-ctrl-alt-fn"
      aria-label="Send Ctrl+Alt+F1…F12 (switch the guest's virtual terminal)"
      title="Send Ctrl+Alt+F1…F12 (switch the guest's virtual terminal)"
      className={fnSelectClass}
      disabled={disabled}
      value=""
      onChange={(e) => {
        const n = Number(e.target.value);
        if (n) send(n);
      }}
    >
      <option value="">Ctrl+Alt+Fn…</option>
      {FN_KEYS.map((n) => (
        <option key={n} value={n}>{`Ctrl+Alt+F${n}`}</option>
      ))}
    </select>
  );
}
