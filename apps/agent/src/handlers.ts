/**
 * One handler per AgentMethod. Params are validated with the protocol's schema before a handler
 * runs and results are checked against it after. Every handler is idempotent: the manager may
 * re-send a request after a reconnect.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import type { Hypervisor } from '@vireo/hypervisor';
import {
  type AgentMethod,
  type AgentParams,
  type AgentResult,
  type DomainInfo,
  type ManagerMessage,
  type ReplyMessage,
  VireoError,
  agentRequests,
  toErrorPayload,
} from '@vireo/protocol';
import type { Logger } from './logger.ts';

export interface HandlerDeps {
  hv: Hypervisor;
  vmStorageDir: string;
  logger: Logger;
  progress: (requestId: string, progress: number, message?: string) => void;
  openConsole: (params: AgentParams<'console.open'>) => Promise<void>;
  /** How often vm.shutdown re-reads the state in case an event was missed. */
  shutdownPollMs?: number;
  /** How often vm.shutdown presses the ACPI power button again while the guest stays up. */
  shutdownRepressMs?: number;
}

type Handler<M extends AgentMethod> = (params: AgentParams<M>, requestId: string) => Promise<AgentResult<M>>;

export const overlayPath = (dir: string, uuid: string) => join(dir, `${uuid}.qcow2`);
export const serialLogPath = (dir: string, uuid: string) => join(dir, `${uuid}.serial.log`);

/** True only for a path strictly inside dir (no "..", not dir itself). */
export function isInside(dir: string, path: string): boolean {
  const rel = relative(resolve(dir), resolve(path));
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel);
}

async function mustExist(hv: Hypervisor, uuid: string): Promise<DomainInfo> {
  const d = await hv.domain(uuid);
  if (!d) throw new VireoError('NOT_FOUND', `No VM ${uuid} on this host.`, { object: 'vm' });
  return d;
}

export function createHandlers(deps: HandlerDeps): { [M in AgentMethod]: Handler<M> } {
  const { hv, vmStorageDir: dir, logger } = deps;

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

  return {
    async 'vm.create'({ spec }, id) {
      const existing = await hv.domain(spec.uuid);
      if (existing) {
        const [disk] = await hv.domainDiskPaths(spec.uuid);
        return { domain: existing, diskPath: disk ?? overlayPath(dir, spec.uuid) };
      }
      const clash = (await hv.listDomains()).find((d) => d.name === spec.name);
      if (clash)
        throw new VireoError('CONFLICT', `A VM named ${spec.name} already exists on this host.`, { object: 'vm' });
      const host = await hv.hostInfo();
      const type = host.domainTypes[0];
      if (!type) throw new VireoError('NO_HOST_CAPACITY', 'This host offers no usable domain type (kvm/qemu/xen).');
      const disk = overlayPath(dir, spec.uuid);
      await hv.createOverlay(spec.template.diskPath, disk);
      deps.progress(id, 30, 'disk created');
      try {
        const domain = await hv.defineDomain({
          uuid: spec.uuid,
          name: spec.name,
          type,
          vcpus: spec.vcpus,
          memoryMiB: spec.memoryMiB,
          kernelPath: spec.template.kernelPath,
          initrdPath: spec.template.initrdPath,
          cmdline: `${spec.template.cmdline} vireo.hostname=${spec.name}`.trim(),
          disks: [{ path: disk, format: 'qcow2' }],
          serialLogPath: serialLogPath(dir, spec.uuid),
        });
        deps.progress(id, 80, 'domain defined');
        return { domain, diskPath: disk };
      } catch (err) {
        // The define may have gone through before the failure (e.g. the bus dropped before the
        // follow-up read): then the VM exists and create, being idempotent, has succeeded.
        const made = await hv.domain(spec.uuid).catch(() => undefined);
        if (made) return { domain: made, diskPath: disk };
        // Unknown (libvirt unreachable): keep the disk rather than risk a domain without it.
        if (made === undefined) throw err;
        // No litter: the overlay exists only for this domain, and there is none.
        await hv
          .deleteVolume(disk)
          .catch((e) => logger.error('could not remove the overlay after a failed define', { disk, err: e }));
        throw err;
      }
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

    async 'vm.delete'({ uuid }) {
      const d = await hv.domain(uuid);
      if (!d) {
        // Undefined already (a retry after a lost reply, or behind our back): the VM's own
        // files, named by its uuid, must still go, or they leak forever.
        const deletedDisks: string[] = [];
        for (const path of [overlayPath(dir, uuid), serialLogPath(dir, uuid)]) {
          if (existsSync(path)) {
            await hv.deleteVolume(path);
            if (path.endsWith('.qcow2')) deletedDisks.push(path);
          }
        }
        return { deletedDisks };
      }
      if (d.state !== 'shutoff' && d.state !== 'crashed') {
        throw new VireoError('INVALID_STATE', `The VM is ${d.state}; shut it down first.`, { object: 'vm' });
      }
      const disks = await hv.domainDiskPaths(uuid);
      await hv.undefineDomain(uuid);
      const deletedDisks: string[] = [];
      for (const path of disks) {
        // Only the VM's own files: a template's base image lives elsewhere and must survive.
        if (!isInside(dir, path)) {
          logger.info('kept a disk outside the VM storage dir', { uuid, path });
          continue;
        }
        await hv.deleteVolume(path);
        deletedDisks.push(path);
      }
      await hv.deleteVolume(serialLogPath(dir, uuid));
      return { deletedDisks };
    },

    async 'console.open'(params) {
      await mustExist(hv, params.uuid);
      await deps.openConsole(params);
      return {};
    },
  };
}

/** Validates params, runs the handler, checks the result shape; always returns a reply. */
export async function dispatch(
  handlers: ReturnType<typeof createHandlers>,
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
    const handler = handlers[msg.method] as (p: unknown, id: string) => Promise<unknown>;
    const result = spec.result.parse(await handler(params.data, msg.id));
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
