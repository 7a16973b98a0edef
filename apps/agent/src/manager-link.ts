/**
 * The agent's one connection to the manager: it dials out (the manager never dials hosts),
 * enrolls once, and keeps a WebSocket up with capped exponential backoff. Every (re)connect
 * sends the host's full state before anything else, so the manager never works from deltas
 * it cannot place.
 */
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  AGENT_WS_PATH,
  ENROLL_PATH,
  type AgentMessage,
  type EnrollResponse,
  type ManagerMessage,
  type ReplyMessage,
  type StateMessage,
  enrollResponseSchema,
  managerMessageSchema,
} from '@vireo/protocol';
import WebSocket from 'ws';
import { managerUrls } from './config.ts';
import type { Logger } from './logger.ts';

export interface Credential extends EnrollResponse {}

export interface ManagerLinkOptions {
  /** One manager URL, or several (comma-separated) managers sharing one database. */
  managerUrl: string;
  stateDir: string;
  enrollmentToken?: string | undefined;
  logger: Logger;
  /** Identity sent at enrollment. */
  identity: () => Promise<{ hostUuid: string; hostname: string }>;
  /** The full state message, built fresh on every connect. */
  state: () => Promise<StateMessage>;
  /** Handles a valid request; must always resolve to a reply (never throw). */
  onRequest: (msg: ManagerMessage) => Promise<ReplyMessage>;
  backoff?: { initialMs: number; maxMs: number };
}

/** http://m:3000/x → ws://m:3000; https → wss. */
export function wsBase(managerUrl: string): string {
  const u = new URL(managerUrl);
  return `${u.protocol === 'https:' ? 'wss' : 'ws'}://${u.host}`;
}

export async function loadOrEnroll(
  o: Pick<ManagerLinkOptions, 'stateDir' | 'managerUrl' | 'enrollmentToken' | 'identity' | 'logger'>,
): Promise<Credential> {
  const file = join(o.stateDir, 'credential.json');
  try {
    return enrollResponseSchema.parse(JSON.parse(await readFile(file, 'utf8')));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new Error(`${file} is unreadable: ${(err as Error).message}`);
  }
  if (!o.enrollmentToken) {
    throw new Error(`Not enrolled yet (no ${file}) and no enrollment token: set VIREO_ENROLLMENT_TOKEN.`);
  }
  const body = JSON.stringify({ token: o.enrollmentToken, ...(await o.identity()) });
  // Several managers: any of them enrolls (they share one database); one that cannot be reached
  // is skipped. A refusal (bad token) is an answer, not a reason to try the next.
  let res: Response | undefined;
  let unreachable: unknown;
  for (const url of managerUrls(o.managerUrl)) {
    try {
      res = await fetch(new URL(ENROLL_PATH, url), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
      });
      break;
    } catch (err) {
      unreachable = err;
      o.logger.warn('manager unreachable for enrollment; trying the next', { url, err: (err as Error).message });
    }
  }
  if (!res) throw unreachable instanceof Error ? unreachable : new Error('no manager could be reached to enroll');
  const text = await res.text();
  if (!res.ok) throw new Error(`Enrollment refused (HTTP ${res.status}): ${text.slice(0, 500)}`);
  const cred = enrollResponseSchema.parse(JSON.parse(text));
  await mkdir(o.stateDir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.tmp`;
  await writeFile(tmp, JSON.stringify(cred), { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, file);
  o.logger.info('enrolled', { hostId: cred.hostId });
  return cred;
}

export class ManagerLink {
  private ws: WebSocket | undefined;
  private stopped = false;
  private attempt = 0;
  private timer: NodeJS.Timeout | undefined;
  private credential: Credential | undefined;
  /** True once the state message went out on the current socket; nothing else goes before it. */
  private ready = false;
  /** A domain event came while the state message was being built: it may predate the snapshot. */
  private missedWhileBuilding = false;
  private readonly urls: string[];
  /** Which of `urls` the current (or next) connection goes to. */
  private current = 0;

  constructor(private readonly o: ManagerLinkOptions) {
    this.urls = managerUrls(o.managerUrl);
  }

  /** The WebSocket base of the manager connected to now (console channels dial back there). */
  get currentWsBase(): string {
    return wsBase(this.urls[this.current] ?? this.urls[0] ?? this.o.managerUrl);
  }

  get connected(): boolean {
    return this.ready;
  }
  get bearer(): string | undefined {
    return this.credential?.credential;
  }

  start(): void {
    this.stopped = false;
    void this.dial();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const ws = this.ws;
    if (ws && ws.readyState !== WebSocket.CLOSED) {
      await new Promise<void>((resolve) => {
        ws.once('close', () => resolve());
        ws.close(1001, 'agent stopping');
        setTimeout(() => {
          ws.terminate();
          resolve();
        }, 2000).unref();
      });
    }
  }

  /** Sends if connected and past the state message; otherwise drops (state is resent on reconnect). */
  send(msg: AgentMessage): boolean {
    if (!this.ready && msg.t === 'domain' && this.ws?.readyState === WebSocket.OPEN) this.missedWhileBuilding = true;
    if (!this.ready || this.ws?.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(msg));
    return true;
  }

  /**
   * Sends a fresh full state on the current socket; the manager applies a repeated state as a
   * full resync. For when the agent may have missed events (it lost libvirt for a while). Returns
   * false when not connected: the next connect sends the state anyway.
   */
  async resync(): Promise<boolean> {
    const ws = this.ws;
    if (!this.ready || ws?.readyState !== WebSocket.OPEN) return false;
    const state = await this.o.state();
    if (this.ws !== ws || ws.readyState !== WebSocket.OPEN) return false;
    ws.send(JSON.stringify(state));
    this.o.logger.info('full state resent', { domains: state.domains.length });
    return true;
  }

  private async dial(): Promise<void> {
    if (this.stopped) return;
    try {
      this.credential ??= await loadOrEnroll(this.o);
    } catch (err) {
      this.o.logger.error('cannot get a host credential', { err });
      return this.retry();
    }
    const url = `${this.currentWsBase}${AGENT_WS_PATH}`;
    const ws = new WebSocket(url, { headers: { authorization: `Bearer ${this.credential.credential}` } });
    this.ws = ws;
    this.ready = false;
    ws.on('open', () => void this.onOpen(ws));
    ws.on('message', (data, isBinary) => void this.onMessage(ws, data, isBinary));
    ws.on('unexpected-response', (_req, res) => {
      this.o.logger.warn('manager refused the WebSocket', { status: res.statusCode, url });
      if (res.statusCode === 401)
        this.o.logger.error(
          'credential rejected; re-enroll by deleting credential.json and setting a new enrollment token',
        );
      ws.terminate();
    });
    ws.on('error', (err) => this.o.logger.warn('manager link error', { err: err.message }));
    ws.on('close', (code) => {
      if (this.ws !== ws) return;
      this.ready = false;
      this.o.logger.info('manager link closed', { code });
      // Several managers: the next attempt goes to the next one (this one may be gone for good).
      if (this.urls.length > 1) this.current = (this.current + 1) % this.urls.length;
      this.retry();
    });
  }

  private async onOpen(ws: WebSocket): Promise<void> {
    try {
      this.missedWhileBuilding = false;
      const state = await this.o.state();
      if (ws.readyState !== WebSocket.OPEN) return;
      ws.send(JSON.stringify(state));
      this.ready = true;
      this.attempt = 0;
      this.o.logger.info('connected to manager', { domains: state.domains.length });
      // Whether that event came before or after the snapshot is unknowable: a second, fresh
      // state settles it either way.
      if (this.missedWhileBuilding) await this.resync();
    } catch (err) {
      this.o.logger.error('cannot build the state message; reconnecting', { err });
      ws.close(1011, 'state unavailable');
    }
  }

  private async onMessage(ws: WebSocket, data: WebSocket.RawData, isBinary: boolean): Promise<void> {
    let raw: unknown;
    try {
      raw = JSON.parse(isBinary ? '' : data.toString());
    } catch {
      raw = undefined;
    }
    const parsed = managerMessageSchema.safeParse(raw);
    if (!parsed.success) {
      const id = typeof (raw as { id?: unknown })?.id === 'string' ? (raw as { id: string }).id : '';
      this.o.logger.warn('bad message from manager', { id, issues: parsed.error.issues.slice(0, 5) });
      ws.send(
        JSON.stringify({
          t: 'reply',
          id,
          ok: false,
          error: {
            code: 'BAD_INPUT',
            message: `Invalid message: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'message'}: ${i.message}`).join('; ')}`,
          },
        } satisfies ReplyMessage),
      );
      return;
    }
    const reply = await this.o.onRequest(parsed.data);
    // A reply for a socket that has since closed is dropped; the manager retries (requests are idempotent).
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(reply));
  }

  private retry(): void {
    if (this.stopped) return;
    const { initialMs, maxMs } = this.o.backoff ?? { initialMs: 250, maxMs: 5000 };
    const base = Math.min(maxMs, initialMs * 2 ** this.attempt++);
    const delay = Math.round(base / 2 + Math.random() * (base / 2)); // "equal jitter"
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.dial(), delay);
  }
}
