/**
 * The storage heartbeat (issue 9): every `intervalMs` this agent writes
 * `<vmStorageDir>/.vireo-ha/<hostUuid>.hb` and reads its peers' files, noting on its own
 * monotonic clock when each peer file's content last changed; then it tells the manager (`ha`
 * message). The manager's view of "is that host dead" rests on what its peers saw here, not on
 * any clock of the dead host.
 *
 * Self-fencing: when this host's own writes have failed (or hung) continuously for
 * `selfFenceAfterMs`, the others will soon consider it dead and restart its HA VMs elsewhere, so
 * it forces off (destroy, no guest shutdown: simple and certain) every running domain among
 * `haVmUuids`, and keeps doing so while the writes keep failing.
 */
import { randomUUID } from 'node:crypto';
import { mkdir, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Hypervisor } from '@vireo/hypervisor';
import { type HaConfigureParams, type HaMessage, toErrorPayload } from '@vireo/protocol';
import type { Logger } from '../logger.ts';
import { HA_DEFAULTS, loadHaSettings, saveHaSettings, writeFileAtomic } from './settings.ts';
import { takeWatchdogFenced } from './watchdog.ts';

export const HEARTBEAT_DIR = '.vireo-ha';
const HB_FILE = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.hb$/;
/** Peer files read per round at most (the message carries at most 1 000). */
const MAX_PEERS = 1_000;

export interface HeartbeatDeps {
  hv: Pick<Hypervisor, 'domain' | 'destroyDomain'>;
  vmStorageDir: string;
  stateDir: string;
  hostUuid: string;
  logger: Logger;
  /** Sends a message to the manager; false when there is no live connection (kept for later). */
  send: (msg: HaMessage) => boolean;
  /** Monotonic clock in ms (tests pass their own). */
  now?: () => number;
  /** Tells the HA watchdog this agent is alive (each round); absent in unit tests. */
  petWatchdog?: () => void;
}

export class Heartbeat {
  private settings: HaConfigureParams = HA_DEFAULTS;
  private readonly bootId = randomUUID();
  private seq = 0;
  private lastWriteOkAt: number | null = null;
  /** Since when writes fail (or the current write hangs); null while they succeed. */
  private failingSince: number | null = null;
  private lastError: string | undefined;
  private writing: { since: number } | null = null;
  /** hostUuid → the content last read and when (own clock) it last changed. */
  private readonly peers = new Map<string, { content: string; changedAt: number }>();
  /** Forced off by self-fencing, not yet reported to the manager. */
  private selfFenced = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly deps: HeartbeatDeps) {
    this.now = deps.now ?? (() => performance.now());
  }

  get dir(): string {
    return join(this.deps.vmStorageDir, HEARTBEAT_DIR);
  }
  get ownFile(): string {
    return join(this.dir, `${this.deps.hostUuid}.hb`);
  }
  get current(): HaConfigureParams {
    return this.settings;
  }

  /** Loads the saved settings and starts the rounds. */
  async start(): Promise<void> {
    this.settings = await loadHaSettings(this.deps.stateDir, this.deps.logger);
    // What the watchdog stopped while this agent was away is reported like its own self-fencing.
    for (const uuid of await takeWatchdogFenced(this.deps.stateDir)) this.selfFenced.add(uuid);
    this.deps.logger.info('HA heartbeat started', {
      file: this.ownFile,
      intervalMs: this.settings.intervalMs,
      selfFenceAfterMs: this.settings.selfFenceAfterMs,
      haVms: this.settings.haVmUuids.length,
    });
    this.schedule(0);
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  /** `ha.configure`: saved first, so a restarted agent self-fences the same VMs. */
  async configure(settings: HaConfigureParams): Promise<void> {
    await saveHaSettings(this.deps.stateDir, settings);
    const intervalChanged = settings.intervalMs !== this.settings.intervalMs;
    this.settings = settings;
    if (intervalChanged && this.timer && !this.running) this.schedule(settings.intervalMs);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.round(), ms);
    this.timer.unref?.();
  }

  /** One round: write (not awaited past the interval), read the peers, maybe self-fence, report. */
  async round(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      // The watchdog (watchdog.ts) sees this agent alive, whatever its storage does.
      if (this.deps.petWatchdog) this.deps.petWatchdog();
      this.write();
      await this.readPeers();
      await this.selfFenceIfDue();
      this.report();
    } catch (err) {
      this.deps.logger.error('HA heartbeat round failed', { err });
    } finally {
      this.running = false;
      this.schedule(this.settings.intervalMs);
    }
  }

  /**
   * Starts a write unless one still hangs (a dead NFS server): a write that has not finished
   * within one interval counts as failing from when it began.
   */
  private write(): void {
    const t = this.now();
    if (this.writing) {
      if (t - this.writing.since >= this.settings.intervalMs) {
        this.failingSince ??= this.writing.since;
        this.lastError = `the heartbeat write has not finished for ${Math.round(t - this.writing.since)} ms`;
      }
      return;
    }
    const attempt = { since: t };
    this.writing = attempt;
    const body = JSON.stringify({
      hostUuid: this.deps.hostUuid,
      seq: ++this.seq,
      bootId: this.bootId,
      writtenAt: new Date().toISOString(),
    });
    void mkdir(this.dir, { recursive: true })
      .then(() => writeFileAtomic(this.ownFile, `${body}\n`))
      .then(
        () => {
          if (this.failingSince !== null) this.deps.logger.info('HA heartbeat writes succeed again');
          this.lastWriteOkAt = this.now();
          this.failingSince = null;
          this.lastError = undefined;
        },
        (err) => {
          const message = toErrorPayload(err).message.slice(0, 500);
          if (this.failingSince === null) this.deps.logger.warn('HA heartbeat write failed', { error: message });
          this.failingSince ??= attempt.since;
          this.lastError = message;
        },
      )
      .finally(() => {
        if (this.writing === attempt) this.writing = null;
      });
  }

  private async readPeers(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT')
        this.deps.logger.warn('could not list the HA heartbeat dir', { err });
      return;
    }
    const t = this.now();
    let n = 0;
    for (const name of names) {
      const m = HB_FILE.exec(name);
      const uuid = m?.[1];
      if (!uuid || uuid === this.deps.hostUuid) continue;
      if (++n > MAX_PEERS) break;
      // An unreadable file is as good as an unchanged one: its host is not proven alive.
      const content = await readFile(join(this.dir, name), 'utf8').catch(() => null);
      if (content === null) continue;
      const seen = this.peers.get(uuid);
      // First seen: counted from now. A stale file found at start-up looks fresh for a while:
      // that only delays a death verdict, never hastens one.
      if (!seen || seen.content !== content) this.peers.set(uuid, { content, changedAt: t });
    }
  }

  private async selfFenceIfDue(): Promise<void> {
    if (this.failingSince === null) return;
    if (this.now() - this.failingSince < this.settings.selfFenceAfterMs) return;
    for (const uuid of this.settings.haVmUuids) {
      try {
        const d = await this.deps.hv.domain(uuid);
        if (!d || d.state === 'shutoff' || d.state === 'crashed') continue;
        this.deps.logger.warn('self-fencing: forcing off an HA VM, this host can no longer write its heartbeat', {
          uuid,
          name: d.name,
          failingForMs: Math.round(this.now() - this.failingSince),
          error: this.lastError,
        });
        await this.deps.hv.destroyDomain(uuid);
        this.selfFenced.add(uuid);
      } catch (err) {
        this.deps.logger.error('self-fencing: could not force off an HA VM', { uuid, err });
      }
    }
  }

  /** The `ha` message for now. */
  message(): HaMessage {
    const t = this.now();
    const failing = this.failingSince !== null;
    return {
      t: 'ha',
      at: Date.now(),
      own: {
        lastWriteOkAgoMs: this.lastWriteOkAt === null ? null : Math.max(0, Math.round(t - this.lastWriteOkAt)),
        ...(failing && this.lastError ? { error: this.lastError } : {}),
        selfFenced: [...this.selfFenced],
      },
      peers: [...this.peers].map(([hostUuid, p]) => ({
        hostUuid,
        unchangedForMs: Math.max(0, Math.round(t - p.changedAt)),
      })),
    };
  }

  private report(): void {
    const msg = this.message();
    // Self-fenced uuids stay until a message carrying them went out.
    if (this.deps.send(msg)) {
      for (const uuid of msg.own.selfFenced) this.selfFenced.delete(uuid);
    }
  }
}
