/**
 * Console relay: browser WebSocket ⇄ manager ⇄ agent WebSocket ⇄ the VM's VNC unix socket.
 * The browser presents a single-use ticket; the manager then asks the VM's agent to dial back
 * on a one-off channel, and pipes bytes between the two sockets. VNC never leaves its host.
 * The ticket's kind says which console: the VNC screen, or the serial port's bytes (serial-relay.ts
 * on the agent). Either is recorded in the event log when it opens and when it ends.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { ConsoleKind } from '@vireo/db';
import { CONSOLE_CLOSE, SERIAL_READY_FRAME, toErrorPayload } from '@vireo/protocol';
import type { RawData, WebSocket } from 'ws';
import { hostAgent } from '../services/agent-router.ts';
import { consumeConsoleTicket, trackSessionConnection } from '../services/console-tickets.ts';
import { sessionFromRequest } from '../context.ts';
import { clientInfo, isAllowedOrigin } from './client-info.ts';
import { auditConsoleOpened } from '../services/console-audit.ts';
import type { UserView } from '../views.ts';
import { loadVmForUser } from '../services/vm-access.ts';

const AGENT_DIAL_TIMEOUT_MS = 10_000;

interface PendingChannel {
  hostId: string;
  attach: (agentWs: WebSocket) => void;
}

const channels = new Map<string, PendingChannel>();

export type Refusal = { status: number; reason: string };

export interface ConsoleGrant {
  vm: Awaited<ReturnType<typeof loadVmForUser>>;
  sessionId: string;
  user: UserView;
  kind: ConsoleKind;
  address: string;
}

/** Everything a browser console upgrade must satisfy: origin, session, ticket, rights. */
export async function authorizeBrowserConsole(
  req: IncomingMessage,
  url: URL,
  allowedOrigins: string[],
): Promise<ConsoleGrant | Refusal> {
  const origin = req.headers.origin;
  if (!origin || !isAllowedOrigin(req, origin, allowedOrigins)) {
    return { status: 403, reason: 'origin not allowed' };
  }
  const found = await sessionFromRequest(req);
  if (!found) return { status: 401, reason: 'not logged in' };
  const ticket = await consumeConsoleTicket(url.searchParams.get('ticket') ?? '');
  if (!ticket) return { status: 403, reason: 'ticket invalid, used or expired' };
  if (ticket.sessionId !== found.session.id || ticket.userId !== found.user.id) {
    return { status: 403, reason: 'ticket belongs to another session' };
  }
  try {
    // Rights are checked again now, not only when the ticket was issued.
    const vm = await loadVmForUser(ticket.vmId, found.user);
    return { vm, sessionId: found.session.id, user: found.user, kind: ticket.kind, address: clientInfo(req).address };
  } catch {
    return { status: 403, reason: 'no access to this VM' };
  }
}

export async function relayBrowserConsole(browser: WebSocket, grant: ConsoleGrant): Promise<void> {
  const { vm, sessionId } = grant;
  const untrack = trackSessionConnection(sessionId, () => browser.close(CONSOLE_CLOSE.loggedOut, 'logged out'));
  browser.on('close', untrack);
  // Either side may speak before the pipe is joined (VNC servers greet first): hold those bytes.
  const fromBrowser = holdMessages(browser);
  browser.on('error', () => browser.terminate());
  if (!vm.hostId || !vm.hostName) {
    browser.close(CONSOLE_CLOSE.noHost, 'VM has no host');
    return;
  }
  const channelId = randomBytes(18).toString('base64url');
  let timer: NodeJS.Timeout | undefined;
  const agentArrived = new Promise<{ ws: WebSocket; held: Held }>((resolve, reject) => {
    timer = setTimeout(() => {
      channels.delete(channelId);
      reject(new Error('the host did not open the console in time'));
    }, AGENT_DIAL_TIMEOUT_MS);
    channels.set(channelId, {
      hostId: vm.hostId as string,
      attach: (ws) => {
        const held = holdMessages(ws);
        ws.on('error', () => ws.terminate());
        clearTimeout(timer);
        channels.delete(channelId);
        resolve({ ws, held });
      },
    });
  });

  let agent: { ws: WebSocket; held: Held };
  try {
    await (await hostAgent(vm.hostId, vm.hostName)).request(
      grant.kind === 'serial' ? 'console.openSerial' : 'console.open',
      { uuid: vm.uuid, channelId },
      { timeoutMs: AGENT_DIAL_TIMEOUT_MS },
    );
    agent = await agentArrived;
  } catch (err) {
    clearTimeout(timer);
    channels.delete(channelId);
    agentArrived.catch(() => {}); // settled or abandoned: nobody waits on it any more
    browser.close(CONSOLE_CLOSE.failed, toErrorPayload(err).message.slice(0, 120));
    return;
  }
  pipe(browser, fromBrowser, agent.ws, agent.held);
  // The browser's socket opened before the host was asked; a serial port may say nothing for a
  // long time, so the terminal learns it is joined from this one text frame (its bytes are binary).
  // A VNC client knows from the RFB greeting, and would take a text frame for a protocol error.
  if (grant.kind === 'serial' && browser.readyState === browser.OPEN) browser.send(SERIAL_READY_FRAME);
  await auditOpenAndClose(browser, agent.ws, grant);
}

/** The event log hears of the session once joined, and of its end with who closed it and why. */
async function auditOpenAndClose(browser: WebSocket, agent: WebSocket, grant: ConsoleGrant): Promise<void> {
  let why = 'closed by the browser';
  agent.once('close', (code, reason) => {
    why =
      code === CONSOLE_CLOSE.takenOver ? 'taken over by another session' : reason.toString() || 'closed by the host';
  });
  browser.once('close', (code) => {
    if (code === CONSOLE_CLOSE.loggedOut) why = 'logged out';
  });
  let ended: ((why: string) => void) | undefined;
  let closed = false;
  browser.once('close', () => {
    closed = true;
    ended?.(why);
  });
  try {
    ended = await auditConsoleOpened(grant);
  } catch (err) {
    console.error('[console] could not record a console session:', err);
    return;
  }
  if (closed) ended(why);
}

interface Held {
  messages: RawData[];
  release: () => void;
}

function holdMessages(ws: WebSocket): Held {
  const messages: RawData[] = [];
  const listener = (data: RawData) => messages.push(data);
  ws.on('message', listener);
  return { messages, release: () => ws.off('message', listener) };
}

const rawSize = (data: RawData) =>
  Array.isArray(data) ? data.reduce((n, d) => n + d.length, 0) : (data as Buffer | ArrayBuffer).byteLength;

/**
 * from → to, pausing `from` while `to` has more than 4 MiB not yet written to its socket (an
 * upload chunk bridged between managers must not pile up in memory when the agent writes slowly).
 */
function forward(from: WebSocket, to: WebSocket): void {
  let queued = 0;
  from.on('message', (data) => {
    if (to.readyState !== to.OPEN) return;
    const n = rawSize(data);
    queued += n;
    to.send(data, { binary: true }, () => {
      queued -= n;
      if (from.isPaused && queued < 1024 * 1024) from.resume();
    });
    if (queued > 4 * 1024 * 1024 && !from.isPaused) from.pause();
  });
}

function pipe(a: WebSocket, heldA: Held, b: WebSocket, heldB: Held): void {
  heldA.release();
  heldB.release();
  for (const data of heldA.messages) b.send(data, { binary: true });
  for (const data of heldB.messages) a.send(data, { binary: true });
  forward(a, b);
  forward(b, a);
  // An application close code (4000-4999, e.g. a serial console taken over) travels on to the
  // other side, so the browser can tell "taken over" from a lost connection.
  const closeBoth = (code?: number, reason?: Buffer) => {
    const pass = code !== undefined && code >= 4000 && code <= 4999;
    a.close(pass ? code : undefined, pass ? reason : undefined);
    b.close(pass ? code : undefined, pass ? reason : undefined);
  };
  a.on('close', closeBoth);
  b.on('close', closeBoth);
  a.on('error', () => closeBoth());
  b.on('error', () => closeBoth());
  if (a.readyState !== a.OPEN || b.readyState !== b.OPEN) closeBoth();
}

/**
 * The manager holding a host's agent, asked by another manager to open a console: the agent dials
 * back here, and this manager bridges that socket to the asking manager's internal console
 * channel, where the browser waits (see internal-endpoint.ts).
 */
export function expectAgentConsole(channelId: string, hostId: string, attach: (agentWs: WebSocket) => void): void {
  const timer = setTimeout(() => channels.delete(channelId), AGENT_DIAL_TIMEOUT_MS);
  timer.unref();
  channels.set(channelId, {
    hostId,
    attach: (ws) => {
      clearTimeout(timer);
      channels.delete(channelId);
      attach(ws);
    },
  });
}

/** Joins two sockets once `b` is open; what `a` says before that is held. */
export function bridgeSockets(a: WebSocket, b: WebSocket): void {
  const heldA = holdMessages(a);
  const heldB = holdMessages(b);
  a.on('error', () => a.terminate());
  b.on('error', () => a.close());
  b.once('open', () => pipe(a, heldA, b, heldB));
  b.once('unexpected-response', () => a.close());
}

/** The agent's dial-back for a channel; false if no such channel for this host. */
export function acceptAgentConsole(channelId: string, hostId: string): ((ws: WebSocket) => void) | null {
  const channel = channels.get(channelId);
  if (!channel || channel.hostId !== hostId) return null;
  return channel.attach;
}
