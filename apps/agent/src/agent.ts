/**
 * One agent: hypervisor → manager link → event forwarding → stats, for a config and a
 * Hypervisor. main.ts runs one of these per host process with libvirt; the scale harness
 * (scripts/scale) runs many in one process, each with a fake hypervisor and its own state dir.
 * Losing libvirt (D-Bus, libvirt-dbus or libvirtd restarts) is survived: the hypervisor
 * reconnects and we resend the full state. A periodic check (libvirt-watch.ts) resends it too
 * whenever libvirt differs from what the manager was told.
 */
import { mkdir } from 'node:fs/promises';
import type { Hypervisor } from '@vireo/hypervisor';
import { type DomainEventMessage, type ManagerMessage, PROTOCOL_VERSION, type StateMessage } from '@vireo/protocol';
import type { AgentConfig } from './config.ts';
import { dialManagerChannel, openConsoleRelay } from './console-relay.ts';
import { closeSerialRelays, openSerialRelay } from './serial-relay.ts';
import { DEFAULT_MAX_VIRTUAL_GIB } from './image-checks.ts';
import { libvirtPools } from './image-pools.ts';
import { ImageStore } from './image-store.ts';
import { listVmFiles } from './files.ts';
import { refreshAllDomainCopies, refreshDomainCopy } from './ha/domain-copy.ts';
import { Heartbeat } from './ha/heartbeat.ts';
import { ensureWatchdog, petWatchdog } from './ha/watchdog.ts';
import { createHandlers, dispatch, operationKey } from './handlers.ts';
import { Jobs, Settler } from './jobs.ts';
import { Journal } from './journal.ts';
import { ReportedDomains, watchLibvirt } from './libvirt-watch.ts';
import type { Logger } from './logger.ts';
import { ManagerLink } from './manager-link.ts';

export const AGENT_VERSION = '0.1.0';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type DomainEventKind = DomainEventMessage['event'];

/** The uuid of the domain a request works on (params.uuid or params.spec.uuid), if any. */
function requestUuid(msg: ManagerMessage): string | null {
  const p = msg.params as { uuid?: unknown; spec?: { uuid?: unknown } } | undefined;
  const uuid = p?.uuid ?? p?.spec?.uuid;
  return typeof uuid === 'string' && UUID.test(uuid) ? uuid : null;
}
/** How long after a stop event a domain that was still there is read again (see recheckAfterStop). */
const STOPPED_RECHECK_MS = 1_000;
/**
 * Requests whose domain's events are held until the reply has gone. libvirt emits some events
 * mid-operation (a restore from managed save emits `started` while the domain is still paused,
 * then resumes it without another event), and a report read then could reach the manager's
 * inventory after the reply's own state and overwrite it with a passing one. Held events are
 * sent after the reply, each with one fresh read.
 */
const HOLD_EVENTS_DURING = new Set([
  'vm.start',
  'vm.startPaused',
  'vm.pause',
  'vm.resume',
  'vm.reboot',
  'vm.reset',
  'vm.save',
  'vm.forceOff',
  'vm.shutdown',
]);

export interface RunningAgent {
  /** Stops timers, closes the manager link, then the hypervisor. */
  stop(): Promise<void>;
  /** Whether the full state went out on a live connection to the manager. */
  readonly connected: boolean;
}

/** Connects the hypervisor, settles the journal, then dials the manager; returns once started. */
export async function startAgent(config: AgentConfig, hv: Hypervisor, logger: Logger): Promise<RunningAgent> {
  await mkdir(config.vmStorageDir, { recursive: true });
  await hv.connect();
  const host = await hv.hostInfo();
  logger.info('libvirt connected', { hostname: host.hostname, hostUuid: host.hostUuid, domainTypes: host.domainTypes });

  // The link and the handlers need each other (progress goes out on the link); bind late.
  let link: ManagerLink | undefined;
  const journal = await Journal.open(config.stateDir);
  const jobs = new Jobs((id, progress, message) =>
    link?.send({ t: 'progress', id, progress, ...(message ? { message } : {}) }),
  );
  // What a killed run left half done is finished or rolled back before the manager hears from us;
  // what cannot be settled yet (a file that will not go) is retried with every full state and
  // every journalSettleIntervalMs.
  const settler = new Settler({ hv, journal, jobs, vmStorageDir: config.vmStorageDir, logger });
  const settle = () => settler.settle();
  await settle();
  const stopSettling = settler.every(config.journalSettleIntervalMs);

  const reported = new ReportedDomains();
  /** uuid → events that arrived while a HOLD_EVENTS_DURING request worked on that domain. */
  const held = new Map<string, { requests: number; kinds: DomainEventKind[] }>();
  const state = async (): Promise<StateMessage> => {
    await settle();
    // Taken before listing domains: an operation that finishes in between then shows in one list
    // or the other, never in neither. The manager settles no VM listed here from its absence.
    const inFlight = [...reported.busy].filter((key) => UUID.test(key));
    const msg: StateMessage = {
      t: 'state',
      protocolVersion: PROTOCOL_VERSION,
      agentVersion: AGENT_VERSION,
      host: await hv.hostInfo(),
      domains: await hv.listDomains(),
      inFlight,
      vmFiles: await listVmFiles(config.vmStorageDir),
    };
    reported.replaceAll(msg.domains);
    return msg;
  };

  // HA: the storage heartbeat (self-fencing works without the manager, from the saved settings)
  // and a copy of every Vireo VM's definition beside its disk, for restarts elsewhere.
  const heartbeat = new Heartbeat({
    hv,
    vmStorageDir: config.vmStorageDir,
    stateDir: config.stateDir,
    hostUuid: host.hostUuid,
    logger,
    send: (msg) => Boolean(link?.send(msg)),
    petWatchdog: () => petWatchdog(config.stateDir),
  });
  await heartbeat.start();
  ensureWatchdog(config.stateDir, logger);
  void refreshAllDomainCopies(hv, config.vmStorageDir, logger).then((n) =>
    logger.info('domain definition copies checked', { vms: n }),
  );
  const offDefined = hv.onDomainEvent((e) => {
    if (e.event === 'defined') void refreshDomainCopy(hv, config.vmStorageDir, e.uuid, logger);
  });

  const images = new ImageStore({
    pools: libvirtPools(hv),
    logger,
    maxVirtualBytes: (config.imageMaxVirtualGiB ?? DEFAULT_MAX_VIRTUAL_GIB) * 1024 ** 3,
    importDirs: config.imageImportDirs ?? [],
    dialChannel: (channelId) =>
      dialManagerChannel({ wsBase: () => link?.currentWsBase ?? '', bearer: () => link?.bearer }, channelId),
  });
  const handlers = createHandlers({
    images,
    hv,
    heartbeat,
    vmStorageDir: config.vmStorageDir,
    logger,
    journal,
    jobs,
    faultPoint: config.faultPoint,
    migrationTransport: config.migrationTransport,
    openConsole: (p) =>
      openConsoleRelay(
        {
          wsBase: () => link?.currentWsBase ?? '',
          bearer: () => link?.bearer,
          vncSocketPath: (u) => hv.vncSocketPath(u),
          logger,
        },
        p,
      ),
    openSerialConsole: (p) =>
      openSerialRelay(
        {
          wsBase: () => link?.currentWsBase ?? '',
          bearer: () => link?.bearer,
          serialPtyPath: (u) => hv.consoles.serialPtyPath(u),
          logger,
        },
        p,
      ),
  });
  link = new ManagerLink({
    managerUrl: config.managerUrl,
    stateDir: config.stateDir,
    enrollmentToken: config.enrollmentToken,
    logger,
    identity: async () => ({ hostUuid: host.hostUuid, hostname: host.hostname }),
    state,
    onRequest: async (msg) => {
      const holding = HOLD_EVENTS_DURING.has(msg.method) ? requestUuid(msg) : null;
      if (holding) {
        const h = held.get(holding) ?? { requests: 0, kinds: [] };
        h.requests++;
        held.set(holding, h);
      }
      let reply: Awaited<ReturnType<typeof dispatch>>;
      try {
        reply = await reported.during(msg, () => dispatch(handlers, jobs, msg, logger));
      } finally {
        // The link sends the reply as soon as this returns; the held events follow it.
        if (holding) setImmediate(() => releaseHeld(holding));
      }
      // Told OUTCOME_UNKNOWN, the manager gets the full state again once the outcome is settled.
      settler.afterReply(operationKey(msg), reply, async () => link?.resync(), 1000, config.journalSettleIntervalMs);
      // A create or delete that ended says, besides its reply, what libvirt now has for the VM (a
      // `checked` domain message). If the manager had given up waiting (timeout) the reply is
      // lost, and a rolled-back create emits no libvirt event: this is what settles the VM then.
      // Not after OUTCOME_UNKNOWN (libvirt may still finish; the settled journal resyncs then),
      // nor after BUSY (another operation on the VM runs: it reports when it ends).
      const settled = reply.ok || (reply.error.code !== 'OUTCOME_UNKNOWN' && reply.error.code !== 'BUSY');
      if (settled && (msg.method === 'vm.create' || msg.method === 'vm.delete')) void reportDomain(msg);
      return reply;
    },
  });

  /**
   * After a create or delete ended: the domain as libvirt now has it (or null), as a `checked`
   * message. Not while another request works on that VM (it reports when it ends).
   */
  async function reportDomain(msg: ManagerMessage): Promise<void> {
    const uuid = requestUuid(msg);
    if (!uuid || reported.busy.has(uuid)) return;
    try {
      const domain = await hv.domain(uuid);
      if (reported.busy.has(uuid)) return;
      if (link?.send({ t: 'domain', at: Date.now(), event: 'checked', uuid, domain })) reported.set(uuid, domain);
    } catch (err) {
      logger.warn('could not read a domain after a failed request', { uuid, err });
    }
  }

  /**
   * A transient domain (a migration's incoming copy on its target) vanishes as it stops, and
   * libvirt sends no undefine event for it: the read right after the stop may still find it, and
   * the manager would keep seeing it until the next watch round. One late read settles it.
   */
  const recheckAfterStop = (uuid: string): void => {
    const timer = setTimeout(() => {
      if (reported.busy.has(uuid)) return;
      hv.domain(uuid)
        .then((domain) => {
          if (domain === null && link?.send({ t: 'domain', at: Date.now(), event: 'undefined', uuid, domain }))
            reported.set(uuid, null);
        })
        .catch((err) => logger.warn('could not re-read a stopped domain', { uuid, err }));
    }, STOPPED_RECHECK_MS);
    timer.unref();
  };

  /** Forwards events, read now, in order: the domain as libvirt has it after them. */
  const forward = (uuid: string, kinds: readonly DomainEventKind[]): void => {
    reported.pending++;
    void hv
      .domain(uuid)
      .then((domain) => {
        for (const event of kinds) {
          if (link?.send({ t: 'domain', at: Date.now(), event, uuid, domain })) reported.set(uuid, domain);
        }
        if (kinds.includes('stopped') && domain !== null) recheckAfterStop(uuid);
      })
      .catch((err) => logger.error('could not read a domain after its event', { uuid, err }))
      .finally(() => reported.pending--);
  };

  function releaseHeld(uuid: string): void {
    const h = held.get(uuid);
    if (!h || --h.requests > 0) return;
    held.delete(uuid);
    if (h.kinds.length > 0) forward(uuid, h.kinds);
  }

  const unsubscribe = hv.onDomainEvent((e) => {
    const holding = held.get(e.uuid);
    if (holding) holding.kinds.push(e.event);
    else forward(e.uuid, [e.event]);
  });

  // After a loss, libvirt events were missed: the manager gets the whole state again.
  let libvirtUp = true;
  const offConnection = hv.onConnectionChange((c) => {
    libvirtUp = c.up;
    if (!c.up) {
      logger.warn('libvirt unreachable; requests fail until it is back', { reason: c.reason });
      return;
    }
    logger.info('libvirt reachable again; resending the full state');
    link?.resync().catch((err) => logger.error('could not resend the state after libvirt came back', { err }));
  });

  const stopWatch = watchLibvirt({
    hv,
    reported,
    intervalMs: config.libvirtWatchIntervalMs,
    ready: () => Boolean(link?.connected) && libvirtUp,
    resync: async () => link?.resync(),
    logger,
  });

  const stats = setInterval(() => {
    if (!link?.connected || !libvirtUp) return;
    hv.sampleStats()
      .then((s) => link?.send({ t: 'stats', at: Date.now(), ...s }))
      .catch((err) => logger.warn('stats sample failed', { err }));
  }, config.statsIntervalMs);

  link.start();

  let stopped = false;
  return {
    get connected() {
      return Boolean(link?.connected);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(stats);
      heartbeat.stop();
      offDefined();
      stopSettling();
      settler.stop();
      stopWatch();
      closeSerialRelays(logger);
      unsubscribe();
      offConnection();
      await link?.stop();
      await hv.close();
    },
  };
}
