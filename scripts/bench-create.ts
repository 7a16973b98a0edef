/**
 * Create benchmark (issue 6): a VM from a template (a linked clone of the template's bootable
 * disk, 1 disk, 1 NIC) created through Vireo's API until libvirt reports it running, against
 * the same steps done directly with libvirt on the same lab host in the same run:
 *   linked clone (StorageVolCreateXML with a backingStore, in the pool that holds the base)
 *   + DomainDefineXML of the same XML Vireo defined (uuid, name, paths and MAC changed)
 *   + Create.
 * Both clocks stop on libvirt's own "started" lifecycle event for that domain, read over the lab
 * host's D-Bus (the same signal the agent follows), so neither side pays a polling delay.
 * Rounds are interleaved (Vireo then direct, direct then Vireo, …), each VM removed before the
 * next is made, so machine load hits both alike.
 * Goal: median(Vireo) / median(direct) ≤ 1.1.
 *
 *   BENCH_ROUNDS=10 VIREO_STACK_DIR=var/vdev6 VIREO_PORT=3106 VIREO_LAB_NAME=vdev6 \
 *     node --import tsx scripts/bench-create.ts
 *
 * Needs a stack up (scripts/up.sh) and root (the lab hosts' D-Bus sockets).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import dbus from 'dbus-next';

const stackDir = process.env.VIREO_STACK_DIR ?? `${process.cwd()}/var/${process.env.VIREO_LAB_NAME ?? 'vireo'}`;
process.env.VIREO_TEST_URL ??= `http://127.0.0.1:${process.env.VIREO_PORT ?? 3000}`;
process.env.VIREO_TEST_ADMIN_PASSWORD ??= readFileSync(`${stackDir}/admin-password`, 'utf8').trim();
process.env.VIREO_TEST_LAB_JSON ??= `/var/lib/vireo-lab/${process.env.VIREO_LAB_NAME ?? 'vireo'}/lab.json`;
process.env.DATABASE_URL ??= `file:${stackDir}/vireo.db`;

const { admin, uniqueName, waitTask } = await import('../tests/support/api.ts');
const { lab, virsh } = await import('../tests/support/lab.ts');
const { ensureDefaultPool, ensureNetwork, poolDir } = await import('../tests/support/hardware-fixtures.ts');
const { templates } = await import('@vireo/db');
const { LibvirtDbusHypervisor } = await import('@vireo/hypervisor');

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 10);
const GOAL = 1.1;
const NETWORK = 'default';
const BASE = 'bench-boot-bios.qcow2';
const TEMPLATE = 'bench-boot-bios';

function pct(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}
const fmt = (ms: number) => `${ms.toFixed(0)} ms`;

// ---- fixtures: the bootable disk as a base volume in the default pool, a template on it ----
const labInfo = lab() as ReturnType<typeof lab> & { imagesDir: string };
const image = JSON.parse(readFileSync(`${labInfo.imagesDir}/image.json`, 'utf8')) as {
  kernel: string;
  initrd: string;
  cmdline: string;
  bootDisks: { bios: string };
};
for (const host of labInfo.hosts) {
  await ensureDefaultPool(host);
  // An isolated network called "default" where the host has none (the lab's hosts start bare).
  await ensureNetwork(host, NETWORK, 'vbenchbr0');
}
const basePath = `${poolDir()}/${BASE}`;
if (!existsSync(basePath)) copyFileSync(image.bootDisks.bios, basePath);
for (const host of labInfo.hosts) await virsh(host, 'pool-refresh', 'default');
await templates.upsert({
  name: TEMPLATE,
  description: 'bench: the BIOS boot disk as a pool volume',
  kernelPath: image.kernel,
  initrdPath: image.initrd,
  diskPath: basePath,
  cmdline: image.cmdline,
  defaultVcpus: 1,
  defaultMemoryMiB: 128,
});

const { api } = await admin();
const template = (await api.template.list.query()).find((t) => t.name === TEMPLATE);
if (!template) throw new Error(`template ${TEMPLATE} not found`);

// ---- one libvirt-dbus connection per lab host: started events, and the direct path ----------
interface HostLink {
  name: string;
  bus: dbus.MessageBus;
  hv: InstanceType<typeof LibvirtDbusHypervisor>;
  started: Map<string, (at: number) => void>;
}
const links = new Map<string, HostLink>();
for (const h of labInfo.hosts) {
  const dbusSocket = (h as unknown as { dbusSocket: string }).dbusSocket;
  const busOf = () => dbus.sessionBus({ busAddress: `unix:path=${dbusSocket}` });
  const hv = new LibvirtDbusHypervisor({ bus: busOf });
  await hv.connect();
  const link: HostLink = { name: h.name, bus: busOf(), hv, started: new Map() };
  hv.onDomainEvent((e) => {
    if (e.event === 'started') link.started.get(e.uuid)?.(performance.now());
  });
  links.set(h.name, link);
}

async function call(link: HostLink, path: string, iface: string, member: string, signature: string, body: unknown[]) {
  const reply = await link.bus.call(
    new dbus.Message({ destination: 'org.libvirt', path, interface: iface, member, signature, body }),
  );
  return reply?.body ?? [];
}

function whenStarted(link: HostLink, uuid: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no started event for ${uuid}`)), 120_000);
    link.started.set(uuid, (at) => {
      clearTimeout(timer);
      link.started.delete(uuid);
      resolve(at);
    });
  });
}

const vireoMs: number[] = [];
const directMs: number[] = [];
const cleanup: (() => Promise<void>)[] = [];
let xmlOfVireo: { host: string; xml: string; uuid: string; name: string; disk: string; mac: string } | null = null;

async function vireoRound(): Promise<void> {
  const name = uniqueName('bcv');
  const t0 = performance.now();
  const { vmId, taskId } = await api.vm.create.mutate({
    name,
    templateId: template.id,
    vcpus: 1,
    memoryMiB: 128,
    start: true,
    nics: [{ network: NETWORK, model: 'virtio' }],
  });
  // The VM's row (and uuid) exists once vm.create returned: only then can we listen for it.
  // A start event that came first is caught by the state read below.
  const vm = await api.vm.byId.query({ vmId });
  const link = links.get(vm.hostName ?? '') as HostLink;
  const started = whenStarted(link, vm.uuid);
  const state = await link.hv.domain(vm.uuid).catch(() => null);
  const at = state?.state === 'running' ? performance.now() : await started;
  link.started.delete(vm.uuid);
  vireoMs.push(at - t0);
  const task = await waitTask(api, taskId, 120_000);
  if (task.state !== 'succeeded') throw new Error(`vm.create failed: ${task.errorMessage}`);
  if (!xmlOfVireo) {
    const [xml] = (await call(
      link,
      `/org/libvirt/QEMU/domain/_${vm.uuid.replaceAll('-', '_')}`,
      'org.libvirt.Domain',
      'GetXMLDesc',
      'u',
      [2],
    )) as [string];
    const disk = /<source file='([^']+\.qcow2)'/.exec(xml)?.[1] ?? '';
    const mac = /<mac address='([^']+)'/.exec(xml)?.[1] ?? '';
    xmlOfVireo = { host: link.name, xml, uuid: vm.uuid, name: vm.name, disk, mac };
  }
  cleanup.push(async () => {
    await waitTask(api, (await api.vm.forceOff.mutate({ vmId })).taskId);
    await waitTask(api, (await api.vm.delete.mutate({ vmId })).taskId);
  });
}

let baseBytes: number | undefined;
let poolObj: string | undefined;

/** The same steps straight to libvirt, on the host the first Vireo VM landed on. */
async function directRound(): Promise<void> {
  const ref = xmlOfVireo;
  if (!ref) throw new Error('a Vireo round comes first');
  const link = links.get(ref.host) as HostLink;
  baseBytes ??= (await link.hv.storage.volumeByPath(basePath))?.capacityBytes ?? 64 * 1024 ** 2;
  poolObj ??= (
    (await call(link, '/org/libvirt/QEMU', 'org.libvirt.Connect', 'StoragePoolLookupByName', 's', ['default'])) as [
      string,
    ]
  )[0];
  const uuid = randomUUID();
  const name = uniqueName('bcd');
  const volName = `${uuid}.qcow2`;
  const mac = `52:54:00:${[...randomBytes(3)].map((b) => b.toString(16).padStart(2, '0')).join(':')}`;
  const t0 = performance.now();
  const started = whenStarted(link, uuid);
  // Raw StorageVolCreateXML (no XML validation: that is Vireo's own step), as virsh vol-create.
  const volXml = `<volume><name>${volName}</name><capacity>${baseBytes}</capacity><target><format type='qcow2'/></target><backingStore><path>${basePath}</path><format type='qcow2'/></backingStore></volume>`;
  await call(link, poolObj, 'org.libvirt.StoragePool', 'StorageVolCreateXML', 'su', [volXml, 0]);
  const vol = { path: `${poolDir()}/${volName}` };
  const xml = ref.xml
    .replace(/<uuid>[^<]+<\/uuid>/, `<uuid>${uuid}</uuid>`)
    .replace(`<name>${ref.name}</name>`, `<name>${name}</name>`)
    .replaceAll(ref.disk, vol.path)
    .replaceAll(ref.uuid, uuid)
    .replace(ref.mac, mac);
  const [path] = (await call(link, '/org/libvirt/QEMU', 'org.libvirt.Connect', 'DomainDefineXML', 's', [xml])) as [
    string,
  ];
  await call(link, path, 'org.libvirt.Domain', 'Create', 'u', [0]);
  directMs.push((await started) - t0);
  cleanup.push(async () => {
    await call(link, path, 'org.libvirt.Domain', 'Destroy', 'u', [0]).catch(() => {});
    await call(link, path, 'org.libvirt.Domain', 'Undefine', 'u', [0]).catch(() => {});
    await link.hv.storage.deleteVolume('default', volName).catch(() => {});
  });
}

const load0 = loadavg();
try {
  await vireoRound(); // warm-up: first create (platform cache, template) and the XML to copy
  await directRound();
  vireoMs.length = 0;
  directMs.length = 0;
  for (const f of cleanup.splice(0)) await f();
  for (let i = 0; i < ROUNDS; i++) {
    // Each VM is removed before the next is made (a booting guest would slow the next start),
    // and the order alternates so neither side always follows the other.
    for (const round of i % 2 === 0 ? [vireoRound, directRound] : [directRound, vireoRound]) {
      await round();
      for (const f of cleanup.splice(0)) await f();
    }
  }
} finally {
  for (const f of cleanup.splice(0)) await f().catch((err) => console.error('cleanup:', err));
  for (const l of links.values()) {
    await l.hv.close();
    l.bus.disconnect();
  }
}
const load1 = loadavg();

const ratio = pct(vireoMs, 50) / pct(directMs, 50);
// Vireo's own cost per round: its time minus the direct round run right after it.
const extraMs = vireoMs.map((v, i) => v - (directMs[i] ?? Number.NaN));
const result = {
  rounds: ROUNDS,
  vireo: { median: pct(vireoMs, 50), p95: pct(vireoMs, 95), all: vireoMs.map(Math.round) },
  direct: { median: pct(directMs, 50), p95: pct(directMs, 95), all: directMs.map(Math.round) },
  extra: { median: pct(extraMs, 50), all: extraMs.map(Math.round) },
  ratioMedian: ratio,
  ratioP95: pct(vireoMs, 95) / pct(directMs, 95),
  loadavg: { before: load0, after: load1 },
};
console.log(
  `create → running, ${ROUNDS} interleaved rounds (load average ${load0[0].toFixed(1)} → ${load1[0].toFixed(1)})`,
);
console.log(`  Vireo API:      median ${fmt(result.vireo.median)}, p95 ${fmt(result.vireo.p95)}`);
console.log(`  libvirt direct: median ${fmt(result.direct.median)}, p95 ${fmt(result.direct.p95)}`);
console.log(`  Vireo's extra per round (paired): median ${fmt(result.extra.median)}`);
console.log(
  `  ratio (median): ${ratio.toFixed(2)}  (p95: ${result.ratioP95.toFixed(2)})  goal ≤ ${GOAL}: ${ratio <= GOAL ? 'met' : 'missed'}`,
);
if (process.env.BENCH_JSON) writeFileSync(process.env.BENCH_JSON, JSON.stringify(result, null, 2));
process.exit(0);
