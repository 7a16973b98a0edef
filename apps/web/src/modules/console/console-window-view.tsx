'use client';

import { useQuery } from '@tanstack/react-query';
import { useEffect } from 'react';
import { useTRPC } from '@/trpc/client';
import { errorInfo } from '@/trpc/errors';
import { LiveProvider } from '../live/live-provider';
import { SerialConsole } from './serial-console';
import { VncConsole } from './vnc-console';

const CONSOLE_STATES = new Set(['running', 'paused']);

/** The console (the screen, or the serial port) alone, filling the window; follows the VM's state live like the VM page does. */
export function ConsoleWindowView({ vmId, kind = 'vnc' }: { vmId: string; kind?: 'vnc' | 'serial' }) {
  const trpc = useTRPC();
  const vm = useQuery(trpc.vm.byId.queryOptions({ vmId }));

  useEffect(() => {
    if (vm.data) document.title = `${vm.data.name} · ${kind === 'serial' ? 'Serial console' : 'Console'} · Vireo`;
  }, [vm.data, kind]);

  return (
    <LiveProvider enabled={vm.isSuccess}>
      <div className="flex h-dvh flex-col bg-zinc-950 text-zinc-200">
        {vm.error && <Message>{errorInfo(vm.error).message}</Message>}
        {vm.isPending && <Message>Loading…</Message>}
        {vm.data && !CONSOLE_STATES.has(vm.data.state) && (
          <Message>{`${vm.data.name} is ${vm.data.state}. Start the VM to see its ${kind === 'serial' ? 'serial console' : 'screen'}.`}</Message>
        )}
        {vm.data &&
          CONSOLE_STATES.has(vm.data.state) &&
          (kind === 'serial' ? (
            <SerialConsole vmId={vmId} fill showPopOut={false} label={vm.data.name} />
          ) : (
            <VncConsole vmId={vmId} fill showPopOut={false} label={vm.data.name} />
          ))}
      </div>
    </LiveProvider>
  );
}

function Message({ children }: { children: string }) {
  return <div className="flex flex-1 items-center justify-center text-sm text-zinc-400">{children}</div>;
}
