/**
 * One handler per AgentMethod. Params are validated with the protocol's schema before a handler
 * runs and results are checked against it after. Every handler is idempotent: the manager may
 * re-send a request after a reconnect. Create and delete journal each host-changing step first
 * (journal.ts), so a killed agent's successor can finish or roll them back (jobs.ts).
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';
import type { DomainDisk, DomainSpec, Hypervisor } from '@vireo/hypervisor';
import {
  type AgentMethod,
  type AgentParams,
  type AgentResult,
  type DomainInfo,
  type FileError,
  type ManagerMessage,
  type ReplyMessage,
  VireoError,
  type VolumeRef,
  provisionMakesVolume,
  agentRequests,
  toErrorPayload,
} from '@vireo/protocol';
import type { FaultPoint } from './config.ts';
import { createStorageHandlers } from './handlers/storage.ts';
import { imageHandlers } from './handlers/images.ts';
import type { ImageStore } from './image-store.ts';
import { networkHandlers } from './handlers/networks.ts';
import { vmLifecycleHandlers } from './handlers/vm-lifecycle.ts';
import { deleteAllSnapshots, snapshotHandlers } from './handlers/snapshots.ts';
import { consoleHandlers } from './handlers/consoles.ts';
import { sweepHandlers } from './handlers/sweeps.ts';
import { vmEditHandlers } from './handlers/vm-edit.ts';
import { snapshotVolumeHandlers } from './handlers/snapshot-volumes.ts';
import { vmDeviceHandlers } from './handlers/vm-devices.ts';
import { vmBootHandlers } from './handlers/vm-boot.ts';
import { vmConfigHandlers } from './handlers/vm-config.ts';
import { cpuHandlers } from './handlers/cpu.ts';
import { haHandlers } from './handlers/ha.ts';
import type { Heartbeat } from './ha/heartbeat.ts';
import { type MigrationTransport, migrationHandlers } from './handlers/migration.ts';
import { domainXmlPath, isInside, isNotDisk, overlayPath, removeFiles, serialLogPath, vmFileUuid } from './files.ts';
import { type Jobs, type Operation, VM_LOCKS, ownFiles } from './jobs.ts';
import type { Journal } from './journal.ts';
import type { Logger } from './logger.ts';
import { seedIsoPath, writeSeedDrive } from './vm-seed.ts';
import { deleteOwnVolumes, findVolume, makeVolume, mustBeFree } from './vm-volumes.ts';

export { isInside, overlayPath, serialLogPath } from './files.ts';

const run = promisify(execFile);

export interface HandlerDeps {
  hv: Hypervisor;
  /** The HA storage heartbeat (ha/heartbeat.ts), which ha.configure reconfigures. */
  heartbeat?: Heartbeat | undefined;
  vmStorageDir: string;
  logger: Logger;
  journal: Journal;
  jobs: Jobs;
  openConsole: (params: AgentParams<'console.open'>) => Promise<void>;
  /** The serial console relay (serial-relay.ts); without it console.openSerial is refused. */
  openSerialConsole?: (params: AgentParams<'console.openSerial'>) => Promise<void>;
  /** Uploads and imports into storage pools; without it image requests are refused. */
  images?: ImageStore;
  /** Tests only (VIREO_AGENT_FAULT): the agent SIGKILLs itself on reaching this point. */
  faultPoint?: FaultPoint | undefined;
  /** Transport of the destination URI for vm.migrate (default tls). */
  migrationTransport?: MigrationTransport;
  /** How often vm.shutdown re-reads the state in case an event was missed. */
  shutdownPollMs?: number;
  /** How often vm.shutdown presses the ACPI power button again while the guest stays up. */
  shutdownRepressMs?: number;
}

type Handler<M extends AgentMethod> = (params: AgentParams<M>, op: Operation) => Promise<AgentResult<M>>;

/**
 * Whether libvirt may have carried out a call that failed: it did not answer in time (it may
 * still be working), or the connection dropped mid-call (libvirtUnreachable carries no libvirt
 * detail; an error libvirt itself returned does). Either way its answer is not a refusal.
 */
function mayHaveHappened(err: unknown): boolean {
  return VireoError.is(err, 'TIMEOUT') || (VireoError.is(err, 'LIBVIRT_ERROR') && !err.libvirt);
}

const reason = (err: unknown) => toErrorPayload(err).message;

async function mustExist(hv: Hypervisor, uuid: string): Promise<DomainInfo> {
  const d = await hv.domain(uuid);
  if (!d) throw new VireoError('NOT_FOUND', `No VM ${uuid} on this host.`, { object: 'vm' });
  return d;
}

export function createHandlers(deps: HandlerDeps): { [M in AgentMethod]: Handler<M> } {
  const { hv, vmStorageDir: dir, logger, journal } = deps;

  /** Tests only: dies here, as a crash or power cut would, when told to by VIREO_AGENT_FAULT. */
  function fault(point: FaultPoint): void {
    if (deps.faultPoint !== point) return;
    logger.warn('fault injection: killing the agent', { point });
    process.kill(process.pid, 'SIGKILL');
  }

  /** Tests only: waits here, as slow storage would, when told to by VIREO_AGENT_FAULT. */
  async function slow(point: FaultPoint): Promise<void> {
    if (deps.faultPoint !== point) return;
    logger.warn('fault injection: slowing down', { point });
    await new Promise((r) => setTimeout(r, 8000));
  }

  /** Resolves when the domain is shut off: on the stopped event, or a poll, whichever first. */
  async function waitForShutoff(uuid: string, timeoutMs: number): Promise<DomainInfo | null> {
    let off: () => void = () => {};
    let poll: NodeJS.Timeout | undefined;
    let repress: NodeJS.Timeout | undefined;
    let timer: NodeJS.Timeout | undefined;
    try {
      return await new Promise<DomainInfo | null>((res, rej) => {
        const check = () =>
          hv.domain(uuid).then((d) => {
            if (!d || d.state === 'shutoff') res(d);
          }, rej);
        off = hv.onDomainEvent((e) => {
          if (e.uuid === uuid && (e.event === 'stopped' || e.event === 'undefined')) void check();
        });
        poll = setInterval(check, deps.shutdownPollMs ?? 2000);
        // A guest drops a power-button press that arrives before its handler is armed (seen in the
        // lab: the guest printed READY, then armed its button watcher; a press in between was lost
        // and the guest stayed up). Pressing again is harmless to a guest already shutting down.
        repress = setInterval(() => {
          hv.shutdownDomain(uuid).catch((err) => {
            if (!VireoError.is(err, 'INVALID_STATE', 'vm') && !VireoError.is(err, 'NOT_FOUND', 'vm')) {
              logger.warn('repeated ACPI shutdown failed', { uuid, err });
            }
          });
        }, deps.shutdownRepressMs ?? 5000);
        timer = setTimeout(
          () =>
            rej(
              new VireoError(
                'SHUTDOWN_TIMEOUT',
                `The guest did not shut down within ${Math.round(timeoutMs / 1000)} s. It may ignore ACPI power-button requests; use Force off to stop it.`,
              ),
            ),
          timeoutMs,
        );
        void check();
      });
    } finally {
      off();
      clearInterval(poll);
      clearInterval(repress);
      clearTimeout(timer);
    }
  }

  /**
   * A journal write once the host has changed (or once a failure is decided): the operation is
   * what it is, so a failed write is logged, never reported as the operation's failure. An entry
   * left behind is settled by the next settle; a missed one, by the manager's reconciliation of
   * the next full state. (Writes *before* a change still stop the operation: see journal.ts.)
   */
  async function journalAfterChange(key: string, write: Promise<void>): Promise<void> {
    try {
      await write;
    } catch (err) {
      logger.error('could not update the operation journal after the host changed; carrying on', { key, err });
    }
  }

  /**
   * A create that failed before its domain existed: its files and the volumes it made go, then
   * its journal entry.
   */
  async function rollBackCreate(key: string, files: string[], volumes: VolumeRef[]): Promise<void> {
    const { notRemoved } = await removeFiles(hv, dir, files);
    const gone = await deleteOwnVolumes(hv.storage, volumes);
    const left = [...notRemoved, ...gone.notRemoved];
    if (left.length === 0) await journalAfterChange(key, journal.remove(key));
    else logger.error('could not remove the disks of a failed create; will retry', { notRemoved: left });
  }

  /**
   * A clone's overlay: a sparse copy of another VM's (stopped) overlay, keeping its backing file,
   * so the clone starts with that VM's disk as it is. Only a VM overlay of this host's storage dir.
   */
  async function copyOverlay(source: string, target: string): Promise<void> {
    if (!isInside(dir, source) || !vmFileUuid(source)) {
      throw new VireoError('BAD_INPUT', `${source} is not a VM disk of this host.`, { object: 'disk' });
    }
    if (!existsSync(source))
      throw new VireoError('NOT_FOUND', `No VM disk ${source} on this host.`, { object: 'disk' });
    try {
      await run('cp', ['--sparse=always', '--no-preserve=all', source, target], { timeout: 3_600_000 });
    } catch (err) {
      throw new VireoError(
        'STORAGE_ERROR',
        `Could not copy ${source}: ${(err as { stderr?: string }).stderr ?? reason(err)}`,
        {
          object: 'disk',
        },
      );
    }
  }

  /** The created VM's disk path, drives and NICs, read back from libvirt with their volumes. */
  async function createdHardware(
    spec: AgentParams<'vm.create'>['spec'],
  ): Promise<Pick<AgentResult<'vm.create'>, 'diskPath' | 'hardware'>> {
    const hw = await hv.domainHardware(spec.uuid);
    // Drives are defined in the spec's order: the template's overlay first, then hardware.disks.
    const refs = [...(spec.template ? [undefined] : []), ...(spec.hardware?.disks ?? []).map((d) => d.volume)];
    const drives = await Promise.all(
      hw.drives.map(async (d, i) => {
        const volume = refs[i];
        const size = volume ? (await hv.storage.volume(volume.pool, volume.volume))?.capacityBytes : undefined;
        return {
          ...(volume ? { volume } : {}),
          ...(d.path ? { path: d.path } : {}),
          device: d.device,
          bus: d.bus ?? '',
          target: d.target ?? '',
          format: d.format ?? '',
          readOnly: d.readOnly,
          ...(size !== undefined ? { sizeBytes: size } : {}),
        };
      }),
    );
    const nics = hw.nics.flatMap((n) =>
      n.mac
        ? [{ mac: n.mac, ...(n.network ? { network: n.network } : {}), ...(n.model ? { model: n.model } : {}) }]
        : [],
    );
    const first = hw.drives.find((d) => d.device === 'disk' && d.path)?.path ?? '';
    return { diskPath: first, hardware: { firmware: hw.firmware, drives, nics } };
  }

  /**
   * The domain is gone, so the VM is deleted whatever happens to its files; the ones that will
   * not go are reported (and stay journalled, to be retried) rather than failing the delete.
   */
  async function removeDeletedVmFiles(
    key: string,
    files: string[],
    volumes: VolumeRef[],
  ): Promise<AgentResult<'vm.delete'>> {
    const gone = await removeFiles(hv, dir, files);
    const vols = await deleteOwnVolumes(hv.storage, volumes);
    const notRemoved = [...gone.notRemoved, ...vols.notRemoved];
    fault('delete:after-files');
    if (notRemoved.length === 0) await journalAfterChange(key, journal.remove(key));
    else logger.error('the VM is deleted but some of its files could not be removed', { key, notRemoved });
    const deletedDisks = [...gone.removed.filter((p) => !isNotDisk(p)), ...vols.removed];
    return notRemoved.length > 0 ? { deletedDisks, notRemoved } : { deletedDisks };
  }

  /** Of these volumes, the ones that still exist (a retried delete may have removed some). */
  async function existingVolumes(refs: VolumeRef[]): Promise<VolumeRef[]> {
    const found = await Promise.all(
      refs.map((r) =>
        hv.storage
          .volume(r.pool, r.volume)
          .catch((err) => (VireoError.is(err, 'NOT_FOUND') ? null : Promise.reject(err))),
      ),
    );
    return refs.filter((_, i) => found[i]);
  }

  return {
    async 'vm.create'({ spec }, op) {
      const at: Record<string, number> = { start: performance.now() };
      // Three independent reads at once; their answers are still looked at in this order.
      const listed = hv.listDomains();
      const hostInfo = hv.hostInfo();
      listed.catch(() => {});
      hostInfo.catch(() => {});
      const existing = await hv.domain(spec.uuid);
      if (existing) return { domain: existing, ...(await createdHardware(spec)) };
      const clash = (await listed).find((d) => d.name === spec.name);
      if (clash)
        throw new VireoError('CONFLICT', `A VM named ${spec.name} already exists on this host.`, { object: 'vm' });
      const host = await hostInfo;
      const type = host.domainTypes[0];
      if (!type) throw new VireoError('NO_HOST_CAPACITY', 'This host offers no usable domain type (kvm/qemu/xen).');
      const overlay = spec.template ? overlayPath(dir, spec.uuid) : undefined;
      const hw = spec.hardware;
      const kernel = spec.template
        ? {
            kernelPath: spec.template.kernelPath,
            initrdPath: spec.template.initrdPath,
            cmdline: `${spec.template.cmdline} vireo.hostname=${spec.name}`.trim(),
          }
        : hw?.boot.kernel;
      const domainSpec = (disks: DomainDisk[]): DomainSpec => ({
        uuid: spec.uuid,
        name: spec.name,
        type,
        vcpus: spec.vcpus,
        memoryMiB: spec.memoryMiB,
        boot: {
          firmware: hw?.boot.firmware ?? 'bios',
          order: hw?.boot.order ?? ['hd'],
          ...(kernel ? { kernel } : {}),
        },
        disks,
        nics: (hw?.nics ?? []).map((n) => ({
          network: n.network,
          model: n.model,
          mac: n.mac,
          ...(n.filter ? { filter: n.filter } : {}),
        })),
        serialLogPath: serialLogPath(dir, spec.uuid),
      });
      // When every disk's path is known before it is made (the template's overlay, empty CD-ROMs),
      // the XML is validated while the disks are made; define checks it is the same XML.
      if (!(hw?.disks ?? []).some((d) => d.volume)) {
        hv.prepareDomain?.(
          domainSpec([
            ...(overlay ? [{ path: overlay, device: 'disk', bus: 'virtio', format: 'qcow2' } as const] : []),
            ...(hw?.disks ?? []).map((d) => ({ device: d.device, bus: d.bus, format: d.format })),
          ]),
        );
      }
      at.checked = performance.now();
      const files = [...(overlay ? [overlay] : []), serialLogPath(dir, spec.uuid)];
      const made: VolumeRef[] = [];
      const entry = { key: op.key, kind: 'vm.create', uuid: spec.uuid, files, at: Date.now() } as const;
      const rollBack = () => rollBackCreate(op.key, files, made);
      const disks: DomainDisk[] = [];
      if (spec.template && overlay) {
        await journal.record({ ...entry, step: 'overlay' });
        try {
          if (spec.template.copyOf) await copyOverlay(spec.template.copyOf, overlay);
          else await hv.createOverlay(spec.template.diskPath, overlay);
        } catch (err) {
          // qemu-img can fail half way (ENOSPC after creating the file): the file is ours alone.
          await rollBack();
          throw err;
        }
        fault('create:after-overlay');
        disks.push({ path: overlay, device: 'disk', bus: 'virtio', format: 'qcow2' });
        op.progress(30, 'disk created');
      }
      const wanted = spec.hardware?.disks ?? [];
      try {
        for (const [i, disk] of wanted.entries()) {
          const { volume } = disk;
          if (!volume) {
            disks.push({ device: disk.device, bus: disk.bus, format: disk.format });
            continue;
          }
          let path: string;
          if (provisionMakesVolume(disk.provision)) {
            // Taken names are refused before the journal lists them: roll-back deletes only ours.
            await mustBeFree(hv.storage, volume);
            made.push(volume);
            await journal.record({ ...entry, step: 'volumes', volumes: [...made] });
            path = (await makeVolume(hv.storage, { ...disk, volume })).path;
            fault('create:after-volume');
            op.progress(30 + Math.round((40 * (i + 1)) / wanted.length), `volume ${volume.volume} created`);
          } else {
            path = (await findVolume(hv.storage, volume)).path;
          }
          disks.push({ path, device: disk.device, bus: disk.bus, format: disk.format, readOnly: disk.readOnly });
        }
      } catch (err) {
        await rollBack();
        throw err;
      }
      if (spec.hardware?.cloudInit) {
        // Last of the drives: the hardware disks keep the positions the manager recorded.
        const seed = seedIsoPath(dir, spec.uuid);
        files.push(seed);
        try {
          await journal.record({ ...entry, step: 'volumes', volumes: [...made] });
          disks.push(await writeSeedDrive(spec.hardware.cloudInit, seed, spec.uuid));
        } catch (err) {
          await rollBack();
          throw err;
        }
        op.progress(75, 'cloud-init seed written');
      }
      at.disks = performance.now();
      try {
        await journal.record({ ...entry, step: 'define', volumes: [...made] });
      } catch (err) {
        // Nothing is defined without its journal entry: the disks, made for it alone, go.
        await rollBack();
        throw err;
      }
      let domain: DomainInfo;
      try {
        domain = await hv.defineDomain(domainSpec(disks));
      } catch (err) {
        // The define may have gone through before the failure (e.g. the bus dropped before the
        // follow-up read): then the VM exists and create, being idempotent, has succeeded.
        const found = await hv.domain(spec.uuid).catch(() => undefined);
        if (found) {
          await journalAfterChange(op.key, journal.remove(op.key));
          return { domain: found, ...(await createdHardware(spec)) };
        }
        // Unknown (the read failed too, or libvirt may still define it): keep the disks rather
        // than risk a domain without them; the journal entry stays, and settling it later keeps
        // or removes them. The agent resends its full state once it is settled.
        if (found === undefined || mayHaveHappened(err)) {
          throw new VireoError(
            'OUTCOME_UNKNOWN',
            `Could not tell whether VM ${spec.name} was defined on this host (${reason(err)}). The host will report it once libvirt answers again.`,
            { object: 'vm' },
          );
        }
        // No litter: the disks exist only for this domain, and there is none.
        await rollBack();
        throw err;
      }
      at.defined = performance.now();
      fault('create:after-define');
      // Reading the defined hardware back does not wait for the journal's fsync (both only follow the define).
      const hardware = createdHardware(spec);
      hardware.catch(() => {});
      await journalAfterChange(op.key, journal.remove(op.key));
      op.progress(80, 'domain defined');
      const result = { domain, ...(await hardware) };
      // Where a create's time goes (issue 6's create benchmark): the reads, the disks, the
      // (journal + validation verdict +) define, reading the hardware back.
      const ms = (a: number, b: number) => Math.round(b - a);
      const end = performance.now();
      logger.info('vm created', {
        uuid: spec.uuid,
        ms: {
          reads: ms(at.start!, at.checked!),
          disks: ms(at.checked!, at.disks!),
          define: ms(at.disks!, at.defined!),
          after: ms(at.defined!, end),
        },
      });
      return result;
    },

    async 'vm.start'({ uuid }) {
      const d = await mustExist(hv, uuid);
      if (d.state === 'shutoff' || d.state === 'crashed') await hv.startDomain(uuid);
      return { domain: await mustExist(hv, uuid) };
    },

    async 'vm.shutdown'({ uuid, timeoutMs }) {
      const d = await mustExist(hv, uuid);
      if (d.state === 'shutoff') return { domain: d };
      await hv.shutdownDomain(uuid);
      const after = await waitForShutoff(uuid, timeoutMs);
      if (!after) throw new VireoError('NOT_FOUND', `VM ${uuid} disappeared while shutting down.`, { object: 'vm' });
      return { domain: after };
    },

    async 'vm.forceOff'({ uuid }) {
      const d = await mustExist(hv, uuid);
      if (d.state !== 'shutoff') {
        try {
          await hv.destroyDomain(uuid);
        } catch (err) {
          // Raced with the guest powering off by itself: already where we wanted it.
          if (!VireoError.is(err, 'INVALID_STATE', 'vm')) throw err;
        }
      }
      return { domain: await mustExist(hv, uuid) };
    },

    async 'vm.delete'({ uuid, ownVolumes: asked = [], keepDisks = false }, op) {
      // Keeping the disks keeps its pool volumes. A template overlay (`<uuid>.qcow2` in the VM
      // storage dir) still goes: a Vireo-named file of no VM is an orphan the sweep would remove.
      const ownVolumes = keepDisks ? [] : asked;
      const d = await hv.domain(uuid);
      const entry = { key: op.key, kind: 'vm.delete', uuid, at: Date.now() } as const;
      if (!d) {
        // Undefined already (a retry after a lost reply, or behind our back): the VM's own
        // files, named by its uuid, must still go, or they leak forever.
        const files = [
          overlayPath(dir, uuid),
          seedIsoPath(dir, uuid),
          serialLogPath(dir, uuid),
          domainXmlPath(dir, uuid),
        ].filter((p) => existsSync(p));
        const volumes = await existingVolumes(ownVolumes);
        if (files.length === 0 && volumes.length === 0) return { deletedDisks: [] };
        await journal.record({ ...entry, step: 'files', files, volumes });
        return removeDeletedVmFiles(op.key, files, volumes);
      }
      if (d.state !== 'shutoff' && d.state !== 'crashed') {
        throw new VireoError('INVALID_STATE', `The VM is ${d.state}; shut it down first.`, { object: 'vm' });
      }
      // Only the VM's own files, named after its uuid, inside the VM storage dir: a template's
      // base image lives elsewhere, and another VM's disk attached to this one is that VM's.
      const disks = await hv.domainDiskPaths(uuid);
      const { own } = ownFiles(
        uuid,
        disks.filter((p) => isInside(dir, p)),
      );
      // The pool volumes the manager says are the VM's own, and only those this domain uses: a
      // mistaken list can never take another VM's disk or a base.
      const volumes: VolumeRef[] = [];
      const volumePaths: string[] = [];
      for (const ref of ownVolumes) {
        const v = await hv.storage.volume(ref.pool, ref.volume);
        if (v && disks.includes(v.path)) {
          volumes.push(ref);
          volumePaths.push(v.path);
        }
      }
      const keptDisks = disks.filter((p) => !own.includes(p) && !volumePaths.includes(p));
      if (keptDisks.length > 0) logger.info("kept disks that are not the VM's own", { uuid, keptDisks });
      const seed = seedIsoPath(dir, uuid);
      // The definition copy (HA) goes too: after an HA restart elsewhere it is that host's again.
      const copy = domainXmlPath(dir, uuid);
      const files = [
        ...own,
        ...(existsSync(seed) ? [seed] : []),
        serialLogPath(dir, uuid),
        ...(existsSync(copy) ? [copy] : []),
      ];
      // Snapshots first: undefine drops only libvirt's metadata, and an attached disk that is kept
      // (not the VM's own) would otherwise keep the VM's internal snapshots, and their space.
      const dropped = await deleteAllSnapshots(hv, uuid);
      if (dropped > 0) logger.info('deleted the snapshots of a VM being deleted', { uuid, snapshots: dropped });
      await journal.record({ ...entry, step: 'undefine', files, volumes });
      try {
        await hv.undefineDomain(uuid);
      } catch (err) {
        // Whether libvirt undefined it before failing decides what is left to do.
        const still = await hv.domain(uuid).catch(() => undefined);
        if (still === undefined || (still && mayHaveHappened(err))) {
          // The journal entry stays: settling it later finishes the delete or keeps the VM, and
          // the agent then resends its full state.
          throw new VireoError(
            'OUTCOME_UNKNOWN',
            `Could not tell whether VM ${uuid} was deleted on this host (${reason(err)}). The host will report it once libvirt answers again.`,
            { object: 'vm' },
          );
        }
        if (still) {
          await journalAfterChange(op.key, journal.remove(op.key)); // refused: nothing changed
          throw err;
        }
      }
      await journalAfterChange(op.key, journal.record({ ...entry, step: 'files', files, volumes }));
      fault('delete:after-undefine');
      await slow('delete:slow-after-undefine');
      const result = await removeDeletedVmFiles(op.key, files, volumes);
      return keptDisks.length > 0 ? { ...result, keptDisks } : result;
    },

    async 'storage.removeOrphans'({ files }) {
      // The manager found these belong to no VM; check again here, where the truth is: a domain
      // on this host may use the file, or an operation of this agent may be making it.
      const busy = deps.jobs.busyUuids();
      const used = new Set<string>();
      for (const d of await hv.listDomains()) {
        busy.add(d.uuid);
        // A domain that cannot be read fails the sweep (retried later) rather than risk its disk;
        // one undefined meanwhile uses nothing.
        const disks = await hv.domainDiskPaths(d.uuid).catch((err: unknown) => {
          if (VireoError.is(err, 'NOT_FOUND')) return [];
          throw err;
        });
        for (const p of disks) used.add(p);
      }
      const kept: FileError[] = [];
      const candidates: string[] = [];
      for (const f of files) {
        const keep = (message: string) => kept.push({ path: f.path, code: 'CONFLICT', message });
        if (vmFileUuid(f.path) !== f.uuid || !isInside(dir, f.path)) keep('not a VM file in the VM storage dir');
        else if (busy.has(f.uuid)) keep('its VM is defined here or has an operation in progress');
        else if (used.has(f.path)) keep('a domain on this host uses it');
        // A file already gone was removed by another host sharing the dir: nothing to report.
        else if (existsSync(f.path)) candidates.push(f.path);
      }
      const { removed, notRemoved } = await removeFiles(hv, dir, candidates);
      if (removed.length > 0) logger.info('removed orphaned files', { removed });
      if (notRemoved.length > 0) logger.warn('could not remove orphaned files', { notRemoved });
      return { removed, kept: [...kept, ...notRemoved] };
    },

    async 'console.open'(params) {
      await mustExist(hv, params.uuid);
      await deps.openConsole(params);
      return {};
    },

    ...createStorageHandlers({ hv, logger, journal, ...(deps.faultPoint ? { fault } : {}) }),
    ...imageHandlers(deps.images),
    ...networkHandlers(hv, logger),
    ...vmLifecycleHandlers(hv),
    ...snapshotHandlers(hv, logger),
    ...consoleHandlers(hv, deps.openSerialConsole),
    ...sweepHandlers(hv),
    ...vmEditHandlers(hv, logger),
    ...vmDeviceHandlers(hv),
    ...vmConfigHandlers(hv, logger),
    ...vmBootHandlers(hv),
    ...snapshotVolumeHandlers({ hv, logger, journal }),
    ...migrationHandlers(hv, logger, deps.migrationTransport ?? 'tls'),
    ...cpuHandlers(hv),
    ...haHandlers(hv, { vmStorageDir: dir, logger, heartbeat: deps.heartbeat }),
  };
}

/** The journal key of a request: by task and method, as one task may send several (create, then start). */
export function operationKey(msg: ManagerMessage): string {
  return msg.taskId ? `${msg.method}:${msg.taskId}` : `request:${msg.id}`;
}

/**
 * Validates params, runs the handler as an operation (a re-sent request of a running operation
 * attaches to it), checks the result shape; always returns a reply.
 */
export async function dispatch(
  handlers: ReturnType<typeof createHandlers>,
  jobs: Jobs,
  msg: ManagerMessage,
  logger: Logger,
): Promise<ReplyMessage> {
  const spec = agentRequests[msg.method];
  const params = spec.params.safeParse(msg.params);
  if (!params.success) {
    const detail = params.error.issues.map((i) => `${i.path.join('.') || 'params'}: ${i.message}`).join('; ');
    return {
      t: 'reply',
      id: msg.id,
      ok: false,
      error: { code: 'BAD_INPUT', message: `Invalid ${msg.method} params: ${detail}` },
    };
  }
  const started = Date.now();
  try {
    const handler = handlers[msg.method] as (p: unknown, op: Operation) => Promise<unknown>;
    const key = operationKey(msg);
    const p = params.data as { uuid?: string; spec?: { uuid: string } };
    const uuid = p.uuid ?? p.spec?.uuid;
    const claim = uuid ? { uuid, lock: VM_LOCKS[msg.method] } : undefined;
    const result = spec.result.parse(await jobs.run(key, msg.id, claim, (op) => handler(params.data, op)));
    logger.info('request done', { id: msg.id, method: msg.method, ms: Date.now() - started });
    return { t: 'reply', id: msg.id, ok: true, result };
  } catch (err) {
    const error = toErrorPayload(err);
    logger[error.code === 'INTERNAL' ? 'error' : 'warn']('request failed', {
      id: msg.id,
      method: msg.method,
      ms: Date.now() - started,
      error,
    });
    return { t: 'reply', id: msg.id, ok: false, error };
  }
}
