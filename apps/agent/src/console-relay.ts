/**
 * VNC relay: on console.open the agent dials back to the manager's console endpoint with the
 * channel id and its own credential, connects to the domain's VNC unix socket (VNC never listens
 * on TCP), and pipes bytes both ways. Either end closing closes the other.
 */
import { connect, type Socket } from 'node:net';
import { AGENT_CONSOLE_WS_PATH, VireoError } from '@vireo/protocol';
import WebSocket from 'ws';
import type { Logger } from './logger.ts';

export interface ConsoleRelayDeps {
  /** The manager the agent is connected to now (several managers: it may change). */
  wsBase: () => string;
  bearer: () => string | undefined;
  vncSocketPath: (uuid: string) => Promise<string>;
  logger: Logger;
  connectTimeoutMs?: number;
}

/** Resolves once both ends are connected; the relay then lives on its own. */
export async function openConsoleRelay(deps: ConsoleRelayDeps, p: { uuid: string; channelId: string }): Promise<void> {
  const bearer = deps.bearer();
  if (!bearer) throw new VireoError('UNAUTHORIZED', 'The agent has no credential yet.');
  const socketPath = await deps.vncSocketPath(p.uuid);
  const timeoutMs = deps.connectTimeoutMs ?? 10_000;
  const vnc = await new Promise<Socket>((res, rej) => {
    const s = connect(socketPath, () => res(s));
    s.once('error', (err) =>
      rej(new VireoError('INVALID_STATE', `Cannot reach the VM's VNC socket: ${err.message}`, { object: 'vm' })),
    );
  });
  const url = `${deps.wsBase()}${AGENT_CONSOLE_WS_PATH}?channel=${encodeURIComponent(p.channelId)}`;
  const ws = new WebSocket(url, { headers: { authorization: `Bearer ${bearer}` }, handshakeTimeout: timeoutMs });
  ws.binaryType = 'nodebuffer';
  try {
    await new Promise<void>((res, rej) => {
      ws.once('open', () => res());
      ws.once('error', (err) =>
        rej(new VireoError('HOST_UNREACHABLE', `Cannot open the console channel to the manager: ${err.message}`)),
      );
      ws.once('unexpected-response', (_q, r) =>
        rej(new VireoError('TICKET_INVALID', `The manager refused the console channel (HTTP ${r.statusCode}).`)),
      );
    });
  } catch (err) {
    vnc.destroy();
    ws.terminate();
    throw err;
  }
  const log = { uuid: p.uuid, channelId: p.channelId };
  deps.logger.info('console relay open', log);
  let closed = false;
  const closeBoth = (why: string) => {
    if (closed) return;
    closed = true;
    deps.logger.info('console relay closed', { ...log, why });
    vnc.destroy();
    if (ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CONNECTING) ws.close(1000, why);
  };
  vnc.on('data', (chunk) => {
    ws.send(chunk, { binary: true });
    // Backpressure: stop reading VNC while the WebSocket buffer is large.
    if (ws.bufferedAmount > 4 * 1024 * 1024) {
      vnc.pause();
      const resume = setInterval(() => {
        if (ws.bufferedAmount < 1024 * 1024 || closed) {
          clearInterval(resume);
          vnc.resume();
        }
      }, 20);
    }
  });
  ws.on('message', (data) => vnc.write(data as Buffer));
  vnc.on('close', () => closeBoth('vnc closed'));
  vnc.on('error', (err) => closeBoth(`vnc error: ${err.message}`));
  ws.on('close', () => closeBoth('manager closed'));
  ws.on('error', (err) => closeBoth(`ws error: ${err.message}`));
}

/** A dialled-back channel; messages that came before `onMessage` was called are replayed to it. */
export interface ManagerChannel {
  ws: WebSocket;
  onMessage(listener: (data: Buffer) => void): void;
}

/**
 * Dials a byte channel back to the manager (the same dial-back as a console's), e.g. for an
 * upload chunk's bytes; resolves once open. The manager may send at once (its bytes can arrive
 * with the handshake's answer), so messages are held from the start until a listener takes them.
 */
export async function dialManagerChannel(
  deps: Pick<ConsoleRelayDeps, 'wsBase' | 'bearer' | 'connectTimeoutMs'>,
  channelId: string,
): Promise<ManagerChannel> {
  const bearer = deps.bearer();
  if (!bearer) throw new VireoError('UNAUTHORIZED', 'The agent has no credential yet.');
  const url = `${deps.wsBase()}${AGENT_CONSOLE_WS_PATH}?channel=${encodeURIComponent(channelId)}`;
  const ws = new WebSocket(url, {
    headers: { authorization: `Bearer ${bearer}` },
    handshakeTimeout: deps.connectTimeoutMs ?? 10_000,
    maxPayload: 16 * 1024 * 1024,
  });
  ws.binaryType = 'nodebuffer';
  const channel = holdChannel(ws);
  await new Promise<void>((res, rej) => {
    ws.once('open', () => res());
    ws.once('error', (err) =>
      rej(new VireoError('HOST_UNREACHABLE', `Cannot open a channel to the manager: ${err.message}`)),
    );
    ws.once('unexpected-response', (_q, r) =>
      rej(new VireoError('TICKET_INVALID', `The manager refused the channel (HTTP ${r.statusCode}).`)),
    );
  }).catch((err) => {
    ws.terminate();
    throw err;
  });
  return channel;
}

/** Holds a socket's messages until a listener is given, then replays them to it. */
export function holdChannel(ws: WebSocket): ManagerChannel {
  const held: Buffer[] = [];
  let listener: ((data: Buffer) => void) | undefined;
  ws.on('message', (data: Buffer) => (listener ? listener(data) : held.push(data)));
  return {
    ws,
    onMessage(fn) {
      listener = fn;
      for (const data of held.splice(0)) fn(data);
    },
  };
}
