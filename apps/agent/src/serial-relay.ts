/**
 * Serial console relay: on console.openSerial the agent opens the VM's serial pty (its path from
 * the live domain XML; libvirt-dbus has no OpenConsole), dials back to the manager on the
 * request's channel, and pipes bytes both ways.
 *
 * A pty's bytes go to whichever reader reads first, so two relays on one VM would each see half
 * of the output. One relay per VM, then: a newer one takes over and the older is closed with
 * CONSOLE_CLOSE.takenOver, as `virsh console --force` does. (Someone running `virsh console` on
 * the host at the same time shares the pty with Vireo: libvirt's own console lock does not cover
 * a pty opened directly.)
 */
import { closeSync, constants, openSync } from 'node:fs';
import { ReadStream } from 'node:tty';
import { CONSOLE_CLOSE, VireoError } from '@vireo/protocol';
import WebSocket from 'ws';
import { type ConsoleRelayDeps, dialManagerChannel } from './console-relay.ts';
import type { Logger } from './logger.ts';

export interface SerialRelayDeps extends Pick<ConsoleRelayDeps, 'wsBase' | 'bearer' | 'connectTimeoutMs'> {
  serialPtyPath: (uuid: string) => Promise<string>;
  logger: Logger;
}

/** uuid → closes the relay reading that VM's serial port now. */
const active = new Map<string, (code: number, why: string) => void>();

/** Resolves once both ends are connected; the relay then lives on its own. */
export async function openSerialRelay(deps: SerialRelayDeps, p: { uuid: string; channelId: string }): Promise<void> {
  const path = await deps.serialPtyPath(p.uuid);
  let fd: number;
  try {
    // O_NOCTTY: the agent must never make a guest's pty its controlling terminal.
    fd = openSync(path, constants.O_RDWR | constants.O_NOCTTY);
  } catch (err) {
    throw new VireoError('INVALID_STATE', `Cannot open the VM's serial port: ${(err as Error).message}`, {
      object: 'vm',
    });
  }
  let channel: Awaited<ReturnType<typeof dialManagerChannel>>;
  try {
    channel = await dialManagerChannel(deps, p.channelId);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  // QEMU put the pty in raw mode when it made it (qemu_openpty_raw), so bytes pass unchanged.
  const tty = new ReadStream(fd);
  const { ws } = channel;
  const log = { uuid: p.uuid, channelId: p.channelId, path };
  active.get(p.uuid)?.(CONSOLE_CLOSE.takenOver, 'taken over by another console session');
  deps.logger.info('serial relay open', log);

  let closed = false;
  const close = (code: number, why: string) => {
    if (closed) return;
    closed = true;
    if (active.get(p.uuid) === close) active.delete(p.uuid);
    deps.logger.info('serial relay closed', { ...log, why });
    tty.destroy();
    if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(code, why.slice(0, 120));
  };
  active.set(p.uuid, close);
  // libuv re-opens a pty slave it is given and closes only its own copy: ours is closed here.
  tty.once('close', () => {
    try {
      closeSync(fd);
    } catch {
      // Already closed: nothing is left to release.
    }
  });
  tty.on('data', (chunk: Buffer) => {
    ws.send(chunk, { binary: true });
    if (ws.bufferedAmount > 1024 * 1024) {
      tty.pause();
      const resume = setInterval(() => {
        if (ws.bufferedAmount < 256 * 1024 || closed) {
          clearInterval(resume);
          tty.resume();
        }
      }, 20);
    }
  });
  channel.onMessage((data) => {
    if (!closed) tty.write(data);
  });
  // QEMU closing the pty's other side (the VM stopped) reads as EIO or end of file.
  tty.on('end', () => close(1000, 'the VM closed its serial port'));
  tty.on('error', (err) => close(1000, `serial port: ${err.message}`));
  ws.on('close', () => close(1000, 'manager closed'));
  ws.on('error', (err) => close(1000, `ws error: ${err.message}`));
}

/** Closes every serial relay (the agent stopping). */
export function closeSerialRelays(logger: Logger): void {
  if (active.size > 0) logger.info('closing serial relays', { count: active.size });
  for (const close of [...active.values()]) close(1001, 'the agent is stopping');
}
