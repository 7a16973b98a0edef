/**
 * vm.migrate and vm.migrateAbort, on the SOURCE host. libvirt migrates peer-to-peer: this host's
 * libvirtd connects to the destination's (URI from the destination's address and this agent's
 * `migrationTransport`) and moves the domain; the destination agent only sees a domain appear.
 *
 * A live migration keeps the source's definition until it is over (no UNDEFINE_SOURCE), so the
 * completed job's figures (total time, downtime) can still be read here; then it is undefined.
 * A re-sent request finds either the running operation (jobs.ts attaches it), or that shut-off
 * `migrated` definition (finished: undefine it, success), or no domain at all (NOT_FOUND: the
 * manager asks the destination).
 */
import type { Hypervisor, MigrationJobStats } from '@vireo/hypervisor';
import { type AgentParams, type AgentResult, VireoError } from '@vireo/protocol';
import type { Operation } from '../jobs.ts';
import type { Logger } from '../logger.ts';

export type MigrationTransport = 'tls' | 'tcp' | 'ssh';

type MigrationMethod = 'vm.migrate' | 'vm.migrateAbort';

/** How often progress is read from libvirt and sent to the manager. */
const POLL_MS = 500;
/** Pre-copy passes after which a migration that does not shrink counts as not converging. */
const POSTCOPY_AFTER_PASSES = 4;
const RUNNING_JOB = new Set([1, 2]);

/** libvirt URI of the destination's libvirtd (IPv6 literals in brackets). */
export function destinationUri(transport: MigrationTransport, address: string): string {
  const host = address.includes(':') && !address.startsWith('[') ? `[${address}]` : address;
  return `qemu+${transport}://${host}/system`;
}

const MiB = 1024 * 1024;
const mib = (bytes: number) => `${(bytes / MiB).toFixed(bytes < 10 * MiB ? 1 : 0)} MiB`;

/** Dirty rate in bytes per second (libvirt reports pages per second). */
export function dirtyBps(s: MigrationJobStats): number | undefined {
  if (s.memoryDirtyRate === undefined) return undefined;
  return s.memoryDirtyRate * (s.memoryPageSize ?? 4096);
}

/** Percent done and a line for people, from one GetJobStats. */
export function describeJob(s: MigrationJobStats): { percent: number; message: string } {
  const total = s.dataTotal ?? 0;
  const remaining = s.dataRemaining ?? 0;
  const percent = total > 0 ? Math.max(0, Math.min(99, (1 - remaining / total) * 100)) : 0;
  const parts = [`${mib(remaining)} left`];
  if (s.memoryBps !== undefined) parts.push(`at ${mib(s.memoryBps)}/s`);
  const dirty = dirtyBps(s);
  if (dirty !== undefined) parts.push(`guest dirtying ${mib(dirty)}/s`);
  if (s.memoryIteration !== undefined) parts.push(`pass ${s.memoryIteration}`);
  if (s.downtimeMs !== undefined) parts.push(`expected downtime ${s.downtimeMs} ms`);
  return { percent, message: `Migrating: ${parts.join(', ')}` };
}

/** Pre-copy is not converging: several passes done and the guest dirties memory about as fast as it is sent. */
export function notConverging(s: MigrationJobStats): boolean {
  const dirty = dirtyBps(s);
  if (dirty === undefined || !s.memoryBps || (s.memoryIteration ?? 0) < POSTCOPY_AFTER_PASSES) return false;
  return dirty >= 0.8 * s.memoryBps;
}

export function migrationHandlers(hv: Hypervisor, logger: Logger, transport: MigrationTransport) {
  const mig = hv.migration;

  async function migrate(p: AgentParams<'vm.migrate'>, op: Operation): Promise<AgentResult<'vm.migrate'>> {
    const d = await hv.domain(p.uuid);
    if (!d) throw new VireoError('NOT_FOUND', `No VM ${p.uuid} on this host.`, { object: 'vm' });
    if (d.state === 'shutoff' && d.reason === 'migrated') {
      // An earlier run of this request finished the migration but not the undefine.
      const done = await mig.jobStats(p.uuid, true).catch(() => undefined);
      await mig.undefineSource(p.uuid);
      return finished(done, false, true);
    }
    const live = p.live;
    if (live && d.state !== 'running' && d.state !== 'paused') {
      throw new VireoError('INVALID_STATE', `A live migration needs a running VM; it is ${d.state}.`, { object: 'vm' });
    }
    if (!live && d.state !== 'shutoff') {
      throw new VireoError('INVALID_STATE', `An offline migration needs a shut-off VM; it is ${d.state}.`, {
        object: 'vm',
      });
    }
    const uri = destinationUri(transport, p.destination.address);
    const started = Date.now();
    logger.info('migration starting', { uuid: p.uuid, to: uri, mode: p.mode, live });
    op.progress(1, `Connecting to ${p.destination.address}`);
    const running = mig.migrate(p.uuid, {
      destinationUri: uri,
      live,
      copyDisks: p.mode === 'block',
      // Vireo's shared storage is a directory both hosts mount: libvirt cannot tell it is shared.
      // Block with some disks left out (on shared storage): libvirt would call those unsafe too.
      unsafe: p.mode === 'shared' || Boolean(p.diskPaths?.length),
      autoConverge: p.autoConverge ?? false,
      postCopy: live && (p.postCopy ?? false),
      bandwidthMiBs: p.bandwidthMiBs,
      keepSource: live,
      diskPaths: p.diskPaths,
    });
    if (!live) {
      await running;
      logger.info('offline migration done', { uuid: p.uuid, ms: Date.now() - started });
      return { totalMs: Date.now() - started, postCopy: false, alreadyDone: false };
    }
    let over = false;
    const ended = running.finally(() => {
      over = true;
    });
    ended.catch(() => {}); // awaited below; this only keeps an early rejection from going unhandled
    let downtimeSet = false;
    let switched = false;
    let lastDirty: number | undefined;
    while (!over) {
      await Promise.race([ended.catch(() => {}), sleep(POLL_MS)]);
      if (over) break;
      const s = await mig.jobStats(p.uuid).catch(() => undefined);
      if (!s || !RUNNING_JOB.has(s.type)) continue;
      if (!downtimeSet && p.maxDowntimeMs) {
        downtimeSet = true;
        await mig.setMaxDowntime(p.uuid, p.maxDowntimeMs).catch((err) => {
          logger.warn('could not set the migration downtime', { uuid: p.uuid, error: String(err) });
        });
      }
      lastDirty = dirtyBps(s) ?? lastDirty;
      const { percent, message } = describeJob(s);
      op.progress(percent, switched ? `${message} (post-copy)` : message);
      if (p.postCopy && !switched && notConverging(s)) {
        switched = true;
        logger.info('migration not converging: switching to post-copy', { uuid: p.uuid, pass: s.memoryIteration });
        await mig.startPostCopy(p.uuid).catch((err) => {
          switched = false;
          logger.warn('could not switch to post-copy', { uuid: p.uuid, error: String(err) });
        });
      }
    }
    await ended;
    const done = await mig.jobStats(p.uuid, true).catch(() => undefined);
    await mig.undefineSource(p.uuid);
    const result = finished(done, switched, false, lastDirty);
    logger.info('migration done', { uuid: p.uuid, ...result, wallMs: Date.now() - started });
    return result.totalMs > 0 ? result : { ...result, totalMs: Date.now() - started };
  }

  function finished(
    s: MigrationJobStats | undefined,
    postCopy: boolean,
    alreadyDone: boolean,
    lastDirty?: number,
  ): AgentResult<'vm.migrate'> {
    return {
      totalMs: s?.elapsedMs ?? 0,
      ...(s?.downtimeMs !== undefined ? { downtimeMs: s.downtimeMs } : {}),
      ...(s?.dataProcessed !== undefined ? { dataBytes: s.dataProcessed } : {}),
      ...(lastDirty !== undefined ? { dirtyBps: lastDirty } : {}),
      postCopy,
      alreadyDone,
    };
  }

  return {
    'vm.migrate': migrate,
    async 'vm.migrateAbort'({ uuid }: AgentParams<'vm.migrateAbort'>): Promise<AgentResult<'vm.migrateAbort'>> {
      const d = await hv.domain(uuid);
      if (!d) return { aborted: false };
      const s = await mig.jobStats(uuid);
      if (!RUNNING_JOB.has(s.type)) return { aborted: false };
      await mig.abort(uuid);
      logger.info('migration aborted', { uuid });
      return { aborted: true };
    },
  } satisfies {
    [M in MigrationMethod]: (p: AgentParams<M>, op: Operation) => Promise<AgentResult<M>>;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
