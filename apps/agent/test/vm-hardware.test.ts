/**
 * vm.create with hardware (pool volumes, CD-ROM, NICs) and vm.delete of its own volumes, on the
 * in-memory FakeHypervisor (its storage facet keeps volumes in memory; domain XML is built for
 * real in the lab tests). What matters here is the agent's bookkeeping: the volumes a create makes
 * are rolled back when it fails, a base or an existing volume never is.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { FakeHypervisor } from '@vireo/hypervisor';
import { type AgentParams, type ManagerMessage, VireoError } from '@vireo/protocol';
import { createHandlers, dispatch } from '../src/handlers.ts';
import { Jobs, settleJournal } from '../src/jobs.ts';
import { Journal } from '../src/journal.ts';
import { createLogger } from '../src/logger.ts';

const logger = createLogger('error', 'plain');
const UUID = '3d9f1c2b-7a6e-4f5d-8c3b-2a1f0e9d8c7b';
let root = '';
let hv: FakeHypervisor;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'vireo-hw-'));
  hv = new FakeHypervisor({ domainTypes: ['qemu'] });
  await hv.connect();
  await hv.storage.ensureDirPool({ name: 'default', path: join(root, 'pool') });
  await hv.storage.createVolume('default', { name: 'base.qcow2', format: 'qcow2', capacityBytes: 2 * 1024 ** 3 });
  await hv.storage.createVolume('default', { name: 'tools.iso', format: 'raw', capacityBytes: 1024 ** 2 });
});
afterEach(async () => rm(root, { recursive: true, force: true }));

async function setup() {
  const journal = await Journal.open(join(root, 'state'));
  const jobs = new Jobs(() => {});
  const handlers = createHandlers({
    hv,
    vmStorageDir: join(root, 'vms'),
    logger,
    journal,
    jobs,
    openConsole: async () => {},
  });
  const send = (method: ManagerMessage['method'], params: unknown, taskId = 't1') =>
    dispatch(handlers, jobs, { t: 'request', id: `${method}-${taskId}`, method, params, taskId }, logger);
  return { journal, jobs, send };
}

const hardware = (
  extra: AgentParams<'vm.create'>['spec']['hardware'] extends infer H ? Partial<NonNullable<H>> : never,
) => ({
  boot: { firmware: 'uefi' as const, order: ['hd' as const, 'cdrom' as const] },
  disks: [
    {
      device: 'disk' as const,
      bus: 'virtio' as const,
      format: 'qcow2' as const,
      readOnly: false,
      volume: { pool: 'default', volume: `${UUID}-disk0.qcow2` },
      provision: { kind: 'linkedFrom' as const, base: { pool: 'default', volume: 'base.qcow2' } },
    },
    {
      device: 'disk' as const,
      bus: 'sata' as const,
      format: 'raw' as const,
      readOnly: false,
      volume: { pool: 'default', volume: `${UUID}-disk1.raw` },
      provision: { kind: 'blank' as const, sizeBytes: 64 * 1024 ** 2 },
    },
    {
      device: 'cdrom' as const,
      bus: 'sata' as const,
      format: 'raw' as const,
      readOnly: true,
      volume: { pool: 'default', volume: 'tools.iso' },
      provision: { kind: 'existing' as const },
    },
  ],
  nics: [
    { network: 'default', model: 'virtio' as const, mac: '52:54:00:00:00:01' },
    { network: 'backend', model: 'e1000' as const, mac: '52:54:00:00:00:02' },
  ],
  ...extra,
});

const spec = (hw: ReturnType<typeof hardware>) => ({
  spec: { uuid: UUID, name: 'hw-1', vcpus: 1, memoryMiB: 128, hardware: hw },
});

const volumeNames = async () => (await hv.storage.listVolumes('default')).map((v) => v.name).sort();

test('creates the volumes, attaches the CD-ROM and NICs, and reports them as libvirt has them', async () => {
  const { send, journal } = await setup();
  const reply = await send('vm.create', spec(hardware({})));
  assert.ok(reply.ok, JSON.stringify(reply));
  const result = reply.result as {
    diskPath: string;
    hardware: { firmware: string; drives: unknown[]; nics: unknown[] };
  };
  assert.equal(result.hardware.firmware, 'uefi');
  assert.deepEqual(
    result.hardware.drives.map((d) => {
      const x = d as { volume?: { volume: string }; target: string; bus: string; device: string; sizeBytes?: number };
      return [x.volume?.volume, x.target, x.bus, x.device, x.sizeBytes];
    }),
    [
      [`${UUID}-disk0.qcow2`, 'vda', 'virtio', 'disk', 2 * 1024 ** 3],
      [`${UUID}-disk1.raw`, 'sda', 'sata', 'disk', 64 * 1024 ** 2],
      ['tools.iso', 'sdb', 'sata', 'cdrom', 1024 ** 2],
    ],
  );
  assert.deepEqual(
    result.hardware.nics.map((n) => (n as { mac: string }).mac),
    ['52:54:00:00:00:01', '52:54:00:00:00:02'],
  );
  assert.equal(result.diskPath, join(root, 'pool', `${UUID}-disk0.qcow2`));
  assert.deepEqual(await volumeNames(), [`${UUID}-disk0.qcow2`, `${UUID}-disk1.raw`, 'base.qcow2', 'tools.iso']);
  assert.equal(journal.list().length, 0);

  // Re-sent (a lost reply): the same VM, no second set of volumes.
  const again = await send('vm.create', spec(hardware({})), 't2');
  assert.ok(again.ok);
  assert.equal((await volumeNames()).length, 4);

  // Deleted with its own volumes only: the base and the ISO stay.
  const del = await send(
    'vm.delete',
    {
      uuid: UUID,
      ownVolumes: [
        { pool: 'default', volume: `${UUID}-disk0.qcow2` },
        { pool: 'default', volume: `${UUID}-disk1.raw` },
        // Not a disk of this domain: a mistaken list must not take it.
        { pool: 'default', volume: 'base.qcow2' },
      ],
    },
    't3',
  );
  assert.ok(del.ok, JSON.stringify(del));
  assert.deepEqual(await volumeNames(), ['base.qcow2', 'tools.iso']);
  assert.equal(await hv.domain(UUID), null);
});

test('a create that fails part way deletes the volumes it made, never the base or the ISO', async () => {
  const { send, journal } = await setup();
  const hw = hardware({});
  // The third disk's base does not exist: the two volumes before it were already made.
  const bad = {
    ...hw,
    disks: [
      ...hw.disks,
      {
        device: 'disk' as const,
        bus: 'scsi' as const,
        format: 'qcow2' as const,
        readOnly: false,
        volume: { pool: 'default', volume: `${UUID}-disk3.qcow2` },
        provision: { kind: 'linkedFrom' as const, base: { pool: 'default', volume: 'missing-base.qcow2' } },
      },
    ],
  };
  const reply = await send('vm.create', spec(bad));
  assert.equal(reply.ok, false);
  assert.ok(!reply.ok && reply.error.code === 'NOT_FOUND' && reply.error.object === 'volume', JSON.stringify(reply));
  assert.deepEqual(await volumeNames(), ['base.qcow2', 'tools.iso']);
  assert.equal(await hv.domain(UUID), null);
  assert.equal(journal.list().length, 0);
});

test('a volume name already taken is refused and the volume that has it is kept', async () => {
  const { send } = await setup();
  await hv.storage.createVolume('default', { name: `${UUID}-disk1.raw`, format: 'raw', capacityBytes: 1024 ** 2 });
  const reply = await send('vm.create', spec(hardware({})));
  assert.ok(!reply.ok && reply.error.code === 'CONFLICT', JSON.stringify(reply));
  // The linked clone made before the clash is gone; the volume that already had the name stays.
  assert.deepEqual(await volumeNames(), [`${UUID}-disk1.raw`, 'base.qcow2', 'tools.iso']);
});

test('a create killed after making its volumes is rolled back by the next settle', async () => {
  const { journal, jobs } = await setup();
  await hv.storage.cloneVolume('default', { name: `${UUID}-disk0.qcow2`, basePath: join(root, 'pool', 'base.qcow2') });
  await journal.record({
    key: 'vm.create:t9',
    kind: 'vm.create',
    uuid: UUID,
    step: 'volumes',
    files: [],
    volumes: [
      { pool: 'default', volume: `${UUID}-disk0.qcow2` },
      { pool: 'default', volume: `${UUID}-disk1.raw` }, // journalled, never made
    ],
    at: Date.now(),
  });
  const decided = await settleJournal({ hv, journal, jobs, vmStorageDir: join(root, 'vms'), logger });
  assert.ok(decided.has('vm.create:t9'));
  assert.deepEqual(await volumeNames(), ['base.qcow2', 'tools.iso']);
  assert.equal(journal.list().length, 0);
});

test('the agent refuses bad hardware before touching anything', async () => {
  const { send } = await setup();
  const hw = hardware({});
  const cdromOnVirtio = { ...hw, disks: [{ ...hw.disks[2]!, bus: 'virtio' as const }] };
  const r1 = await send('vm.create', spec(cdromOnVirtio));
  assert.ok(!r1.ok && r1.error.code === 'BAD_INPUT' && /SATA or SCSI/.test(r1.error.message), JSON.stringify(r1));
  const sameMac = { ...hw, nics: [hw.nics[0]!, { ...hw.nics[1]!, mac: hw.nics[0]!.mac }] };
  const r2 = await send('vm.create', spec(sameMac), 't2');
  assert.ok(!r2.ok && r2.error.code === 'BAD_INPUT' && /share a MAC/.test(r2.error.message));
  // A seed is built by the agent now; one it would have to paste a bad hostname into is refused.
  const seed = { ...hw, cloudInit: { hostname: 'not a label' } };
  const r3 = await send('vm.create', spec(seed), 't3');
  assert.ok(!r3.ok && r3.error.code === 'BAD_INPUT' && /Hostname/.test(r3.error.message), JSON.stringify(r3));
  assert.deepEqual(await volumeNames(), ['base.qcow2', 'tools.iso']);
  await assert.rejects(hv.storage.volume('nope', 'x'), (e) => VireoError.is(e, 'NOT_FOUND', 'pool'));
});
