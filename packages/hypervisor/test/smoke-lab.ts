/**
 * End-to-end check of the libvirt-dbus Hypervisor on a real libvirt host. Run inside a lab host:
 *   nsenter -t <libvirtd pid> -m -n npx tsx /work/main/packages/hypervisor/test/smoke-lab.ts
 * Env: VIREO_IMAGE_DIR (vmlinuz, initrd.img, base.qcow2, image.json),
 *      VIREO_VM_STORAGE_DIR (where the overlay and serial log go; default the lab's shared dir).
 * Exit code 0 only when every step passed.
 */
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { DomainEvent } from '../src/hypervisor.ts';
import { LibvirtDbusHypervisor } from '../src/libvirt-dbus.ts';

const imageDir = process.env.VIREO_IMAGE_DIR ?? '/var/lib/vireo-lab/images';
const storageDir = process.env.VIREO_VM_STORAGE_DIR ?? '/var/lib/vireo-lab/vireo/shared';
const image = existsSync(join(imageDir, 'image.json'))
  ? (JSON.parse(readFileSync(join(imageDir, 'image.json'), 'utf8')) as { cmdline?: string })
  : {};
const basePath = join(imageDir, 'base.qcow2');

const t0 = performance.now();
const ms = (from: number) => `${Math.round(performance.now() - from)} ms`;
const log = (...a: unknown[]) => console.log(`[${ms(t0).padStart(8)}]`, ...a);
const sha256 = async (p: string) =>
  createHash('sha256')
    .update(await readFile(p))
    .digest('hex');

async function until<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined> | T | undefined,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const hv = new LibvirtDbusHypervisor({ storageDirs: [storageDir], onError: (e) => log('bus error', e) });
await hv.connect();
const events: (DomainEvent & { atMs: number })[] = [];
hv.onDomainEvent((e) => {
  events.push({ ...e, atMs: performance.now() });
  log('event', e.event, e.detail, e.name);
});
const host = await hv.hostInfo();
log('hostInfo', JSON.stringify(host));
const baseBefore = await sha256(basePath);

const uuid = randomUUID();
const name = `smoke-${uuid.slice(0, 8)}`;
const overlay = join(storageDir, `${uuid}.qcow2`);
const serialLog = join(storageDir, `${uuid}.serial.log`);
const type = host.domainTypes[0];
if (!type) throw new Error('host offers no usable domain type');

const tCreate = performance.now();
await hv.createOverlay(basePath, overlay);
const overlayMs = ms(tCreate);
const tDefine = performance.now();
const defined = await hv.defineDomain({
  uuid,
  name,
  type,
  vcpus: 1,
  memoryMiB: 256,
  kernelPath: join(imageDir, 'vmlinuz'),
  initrdPath: join(imageDir, 'initrd.img'),
  cmdline: `${image.cmdline ?? 'console=ttyS0'} vireo.hostname=${name}`,
  disks: [{ path: overlay, format: 'qcow2' }],
  serialLogPath: serialLog,
});
const defineMs = ms(tDefine);
const tStart = performance.now();
await hv.startDomain(uuid);
const startMs = ms(tStart);
const running = await hv.domain(uuid);
log(
  `create→running ${ms(tCreate)} (overlay ${overlayMs}, define ${defineMs}, start ${startMs}); state ${running?.state}/${running?.reason}; defined as ${defined.state}, type ${type}`,
);

await until('started event', 5000, () => events.find((e) => e.uuid === uuid && e.event === 'started') ?? undefined);
const banner = `VIREO GUEST ${name} READY`;
const tBoot = performance.now();
await until('guest banner', 120_000, async () =>
  existsSync(serialLog) && (await readFile(serialLog, 'utf8')).includes(banner) ? true : undefined,
);
log(`guest banner "${banner}" ${ms(tBoot)} after start returned`);

log('vnc socket', await hv.vncSocketPath(uuid));
log('disks', await hv.domainDiskPaths(uuid));
await hv.sampleStats();
await new Promise((r) => setTimeout(r, 1000));
log('stats', JSON.stringify(await hv.sampleStats()));

const tShutdown = performance.now();
await hv.shutdownDomain(uuid);
const stopped = await until('stopped event', 60_000, () =>
  events.find((e) => e.uuid === uuid && e.event === 'stopped'),
);
log(`ACPI shutdown → stopped/${stopped.detail} in ${Math.round(stopped.atMs - tShutdown)} ms`);
const after = await hv.domain(uuid);
log('state after shutdown', after?.state, after?.reason);

await hv.undefineDomain(uuid);
await until('undefined event', 5000, () => events.find((e) => e.uuid === uuid && e.event === 'undefined'));
await hv.deleteVolume(overlay);
await hv.deleteVolume(serialLog);
const gone = (await hv.domain(uuid)) === null && !existsSync(overlay) && !existsSync(serialLog);
const baseAfter = await sha256(basePath);
log(`domain and files gone: ${gone}; base image unchanged: ${baseBefore === baseAfter} (${baseAfter.slice(0, 16)}…)`);
log(
  'event sequence',
  events
    .filter((e) => e.uuid === uuid)
    .map((e) => `${e.event}/${e.detail}`)
    .join(' → '),
);
await hv.close();
const ok = gone && baseBefore === baseAfter && stopped.detail === 'shutdown' && running?.state === 'running';
log(ok ? 'SMOKE OK' : 'SMOKE FAILED');
process.exit(ok ? 0 : 1);
