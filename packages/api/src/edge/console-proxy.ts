/**
 * Console relay: browser WebSocket ⇄ manager ⇄ agent WebSocket ⇄ the VM's VNC unix socket.
 * The browser presents a single-use ticket; the manager then asks the VM's agent to dial back
 * on a one-off channel, and pipes bytes between the two sockets. VNC never leaves its host.
 * The ticket's kind says which console: the VNC screen, or the serial port's bytes (serial-relay.ts
 * on the agent). Either is recorded in the event and audit logs when it opens and when it ends
 * (console-audit.ts). A view-only share link (console-share.ts) opens the VNC screen without an
 * account; what its viewer sends passes the view-only filter (rfb-view-only.ts) first.
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
import { auditConsoleOpened, type ConsoleEnd } from '../services/console-audit.ts';
import { openShareLink, shareAttemptAllowed, trackSharedView } from '../services/console-share.ts';
import { ViewOnlyRfbFilter } from '../services/rfb-view-only.ts';
import type { ConsoleShareLinkView } from '@vireo/db';
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
  /** The browser session (null for a share link's viewer, who has none). */
  sessionId: string | null;
  user: UserView | null;
  kind: ConsoleKind;
  address: string;
  /** Set for a view opened through a share link: VNC only, view-only, ends with its link. */
  share?: ConsoleShareLinkView;
}

/** A share link's upgrade: throttled per address, then origin, link and VM state. No account. */
export async function authorizeSharedConsole(
  req: IncomingMessage,
  url: URL,
  allowedOrigins: string[],
): Promise<ConsoleGrant | Refusal> {
  const address = clientInfo(req).address;
  if (!shareAttemptAllowed(address)) return { status: 429, reason: 'too many attempts' };
  const origin = req.headers.origin;
  if (!origin || !isAllowedOrigin(req, origin, allowedOrigins)) {
    return { status: 403, reason: 'origin not allowed' };
  }
  const opened = await openShareLink(url.searchParams.get('token') ?? '');
  if ('refusal' in opened) return { status: 403, reason: opened.refusal };
  return { vm: opened.vm, sessionId: null, user: null, kind: 'vnc', address, share: opened.link };
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
  const { vm, sessionId, share } = grant;
  const untrack = share
    ? trackSharedView(share, (code, why) => closeWith(browser, code, why))
    : sessionId
      ? trackSessionConnection(sessionId, () => closeWith(browser, CONSOLE_CLOSE.loggedOut, 'logged out'))
      : () => {};
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
  pipe(browser, fromBrowser, agent.ws, agent.held, share ? viewOnly(browser) : undefined);
  // The browser's socket opened before the host was asked; a serial port may say nothing for a
  // long time, so the terminal learns it is joined from this one text frame (its bytes are binary).
  // A VNC client knows from the RFB greeting, and would take a text frame for a protocol error.
  if (grant.kind === 'serial' && browser.readyState === browser.OPEN) browser.send(SERIAL_READY_FRAME);
  await auditOpenAndClose(browser, agent.ws, grant);
}

/** A share link's viewer: only a viewer's RFB messages reach the VM; an unparsable stream ends the view. */
function viewOnly(browser: WebSocket): (data: RawData) => Buffer | null {
  const filter = new ViewOnlyRfbFilter();
  return (data) => {
    const result = filter.push(Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as Buffer));
    if ('refuse' in result) {
      closeWith(browser, CONSOLE_CLOSE.failed, result.refuse.slice(0, 120));
      return null;
    }
    return result.forward;
  };
}

/** Why we closed a browser's socket ourselves: its close event's code is the peer's echo, if any. */
const closedBy = new WeakMap<WebSocket, { code: number; why: string }>();

function closeWith(browser: WebSocket, code: number, why: string): void {
  if (!closedBy.has(browser)) closedBy.set(browser, { code, why });
  browser.close(code, why);
}

/** How the session ended, from the close codes either side gave. */
function endOf(code: number, reason: string): { end: ConsoleEnd; why: string } {
  if (code === CONSOLE_CLOSE.takenOver) return { end: 'taken-over', why: 'taken over by another session' };
  if (code === CONSOLE_CLOSE.loggedOut) return { end: 'logged-out', why: 'logged out' };
  if (code === CONSOLE_CLOSE.shareRevoked) return { end: 'revoked', why: 'share link revoked' };
  if (code === CONSOLE_CLOSE.shareExpired) return { end: 'expired', why: 'share link expired' };
  if (code === CONSOLE_CLOSE.failed) return { end: 'error', why: reason || 'failed' };
  // The agent's relay closes with "vnc closed" when QEMU's VNC socket closes: the VM stopped.
  if (/^(vnc|serial|pty) closed/.test(reason)) return { end: 'vm-stopped', why: 'VM stopped' };
  if (/error/.test(reason)) return { end: 'error', why: reason };
  return { end: 'error', why: reason || 'closed by the host' };
}

/** The event and audit logs hear of the session once joined, and of its end with how it ended. */
async function auditOpenAndClose(browser: WebSocket, agent: WebSocket, grant: ConsoleGrant): Promise<void> {
  // The first close seen says why: the browser's own (the user, or one of our codes), or the host's.
  let outcome: { end: ConsoleEnd; why: string } | null = null;
  agent.once('close', (code, reason) => {
    outcome ??= endOf(code, reason.toString());
  });
  browser.once('close', (code, reason) => {
    const ours = closedBy.get(browser);
    if (ours) outcome ??= endOf(ours.code, ours.why);
    outcome ??= code >= 4000 ? endOf(code, reason.toString()) : { end: 'user', why: 'closed by the user' };
  });
  let ended: ((end: ConsoleEnd, why: string) => void) | undefined;
  let closed = false;
  browser.once('close', () => {
    closed = true;
    const o = outcome ?? { end: 'user', why: 'closed by the user' };
    ended?.(o.end, o.why);
  });
  try {
    ended = await auditConsoleOpened(grant);
  } catch (err) {
    console.error('[console] could not record a console session:', err);
    return;
  }
  if (closed) {
    const o = outcome ?? { end: 'user' as const, why: 'closed by the user' };
    ended(o.end, o.why);
  }
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

/** What passes from one side to the other: the bytes to send (maybe none), or null to stop. */
type Filter = (data: RawData) => Buffer | null;

/**
 * from → to, pausing `from` while `to` has more than 4 MiB not yet written to its socket (an
 * upload chunk bridged between managers must not pile up in memory when the agent writes slowly).
 */
function forward(from: WebSocket, to: WebSocket, filter?: Filter): void {
  let queued = 0;
  from.on('message', (raw) => {
    if (to.readyState !== to.OPEN) return;
    const data = filter ? filter(raw) : raw;
    if (data === null || rawSize(data) === 0) return;
    const n = rawSize(data);
    queued += n;
    to.send(data, { binary: true }, () => {
      queued -= n;
      if (from.isPaused && queued < 1024 * 1024) from.resume();
    });
    if (queued > 4 * 1024 * 1024 && !from.isPaused) from.pause();
  });
}

/** Joins a and b; `filterAtoB` (a view-only viewer's) sees everything a says, held bytes included. */
function pipe(a: WebSocket, heldA: Held, b: WebSocket, heldB: Held, filterAtoB?: Filter): void {
  heldA.release();
  heldB.release();
  for (const raw of heldA.messages) {
    const data = filterAtoB ? filterAtoB(raw) : raw;
    if (data !== null && rawSize(data) > 0) b.send(data, { binary: true });
  }
  for (const data of heldB.messages) a.send(data, { binary: true });
  forward(a, b, filterAtoB);
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
