/**
 * Storage pools and volumes on the real lab, through Vireo's API, checked with libvirt itself
 * (virsh inside the lab hosts): the default cluster pool is defined and running on every host
 * with real figures; a linked clone shares its base; refusals (a base with a clone, a disk of a
 * domain) change nothing; resize grows the virtual size; a full copy has its own data; a host
 * pool is defined on its host only and removed again.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { type Api, admin, rejection, uniqueName, waitTask } from '../support/api.ts';
import { type LabHost, inHost, lab, virsh, waitFor } from '../support/lab.ts';

const MIB = 1024 * 1024;
let api: Api;
let hosts: LabHost[];
const run = uniqueName('st');
const names = { base: `${run}-base.qcow2`, clone: `${run}-clone.qcow2`, disk: `${run}-disk.img` };
const domainName = `${run}-dom`;

type Pools = Awaited<ReturnType<Api['storage']['list']['query']>>;
const defaultPool = async () => (await api.storage.list.query()).find((p) => p.name === 'default');
async function volume(name: string): Promise<NonNullable<Pools[number]['volumes']>[number] | undefined> {
  return (await defaultPool())?.volumes?.find((v) => v.name === name);
}
async function ok(p: Promise<{ taskId: string }>, what: string): Promise<void> {
  const task = await waitTask(api, (await p).taskId);
  assert.equal(task.state, 'succeeded', `${what}: ${task.errorCode} ${task.errorMessage}`);
}
const sh = (host: LabHost, script: string) => inHost(host, ['sh', '-c', script]);

before(async () => {
  ({ api } = await admin());
  hosts = lab().hosts;
});

after(async () => {
  for (const h of hosts) await virsh(h, 'undefine', domainName);
  for (const name of [names.clone, names.base, names.disk, `${run}-src.img`, `${run}-copy.qcow2`]) {
    const started = await api.storage.deleteVolume.mutate({ pool: 'default', name }).catch(() => null);
    if (started) await waitTask(api, started.taskId);
  }
});

test('the default pool is running on every lab host, with the figures libvirt reports', async () => {
  const pool = await waitFor(
    'the default pool on every host',
    async () => {
      const p = await defaultPool();
      const running = p?.hosts.filter((h) => h.libvirt?.state === 'running') ?? [];
      return running.length === hosts.length && p;
    },
    60_000,
    500,
  );
  assert.equal(pool.scope, 'cluster');
  assert.equal(pool.path, `${lab().sharedDir}/pool-default`);
  for (const h of hosts) {
    const info = await virsh(h, 'pool-info', 'default', '--bytes');
    assert.equal(info.code, 0, info.stderr);
    assert.match(info.stdout, /State:\s+running/);
    assert.match(info.stdout, /Autostart:\s+yes/);
    const capacity = Number(/Capacity:\s+(\d+)/.exec(info.stdout)?.[1]);
    const mine = pool.hosts.find((p) => p.hostName === h.name)?.libvirt;
    assert.ok(mine, `pool figures for ${h.name}`);
    assert.equal(mine.capacityBytes, capacity, `capacity on ${h.name} as libvirt says`);
    assert.ok(mine.availableBytes > 0 && mine.availableBytes <= capacity);
    const target = await virsh(h, 'pool-dumpxml', 'default');
    assert.match(target.stdout, new RegExp(`<path>${pool.path}</path>`));
  }
});

test('a linked clone shares its base; deleting the base is refused and changes nothing', async () => {
  await ok(
    api.storage.createVolume.mutate({ pool: 'default', name: names.base, format: 'qcow2', capacityBytes: 64 * MIB }),
    'create base',
  );
  const base = await volume(names.base);
  assert.ok(base);
  assert.equal(base.format, 'qcow2');
  assert.equal(base.capacityBytes, 64 * MIB);
  assert.ok(base.allocationBytes < 4 * MIB, `thin: ${base.allocationBytes} allocated`);

  await ok(
    api.storage.cloneVolume.mutate({
      pool: 'default',
      name: names.clone,
      source: { pool: 'default', name: names.base },
      mode: 'linked',
    }),
    'linked clone',
  );
  const clone = await volume(names.clone);
  assert.ok(clone);
  assert.equal(clone.backingPath, base.path);
  assert.equal(clone.capacityBytes, base.capacityBytes);
  assert.ok(clone.allocationBytes < MIB, `a clone allocates only its header: ${clone.allocationBytes}`);
  assert.deepEqual((await volume(names.base))?.dependants, [clone.path]);
  // libvirt's own view, on the host that did not necessarily make it (the directory is shared).
  const xml = await virsh(hosts[hosts.length - 1]!, 'vol-dumpxml', '--pool', 'default', names.clone);
  assert.equal(xml.code, 0, xml.stderr);
  assert.match(xml.stdout, new RegExp(`<backingStore>\\s*<path>${base.path}</path>\\s*<format type='qcow2'/>`));

  const refused = await rejection(api.storage.deleteVolume.mutate({ pool: 'default', name: names.base }));
  assert.equal(refused.code, 'CONFLICT');
  assert.match(refused.message, /base of 1 linked clone/);
  for (const h of hosts) {
    const info = await virsh(h, 'vol-info', '--pool', 'default', names.base);
    assert.equal(info.code, 0, `the base is still there on ${h.name}: ${info.stderr}`);
  }
});

test('a volume attached to a domain cannot be deleted; resize grows its virtual size', async () => {
  await ok(
    api.storage.createVolume.mutate({ pool: 'default', name: names.disk, format: 'raw', capacityBytes: 32 * MIB }),
    'create disk',
  );
  const disk = await volume(names.disk);
  assert.ok(disk);
  // A domain Vireo did not make, defined with virsh on the last lab host, using the volume.
  const owner = hosts[hosts.length - 1]!;
  const domainXml = `<domain type='qemu'><name>${domainName}</name><memory unit='MiB'>64</memory>
<os><type arch='x86_64'>hvm</type></os><devices><disk type='file' device='disk'>
<driver name='qemu' type='raw'/><source file='${disk.path}'/><target dev='vda' bus='virtio'/></disk></devices></domain>`;
  const file = `${lab().sharedDir}/${domainName}.xml`;
  const defined = await sh(
    owner,
    `cat > ${file} <<'EOF'\n${domainXml}\nEOF\nvirsh -q -c qemu:///system define ${file}`,
  );
  assert.equal(defined.code, 0, defined.stderr);

  const used = await waitFor('the domain shown as the volume user', async () => {
    const v = await volume(names.disk);
    return v?.usedBy.some((u) => u.name === domainName) && v;
  });
  assert.equal(used.usedBy[0]?.hostName, owner.name);
  const refused = await rejection(api.storage.deleteVolume.mutate({ pool: 'default', name: names.disk }));
  assert.equal(refused.code, 'CONFLICT');
  assert.match(refused.message, new RegExp(domainName));
  assert.equal((await virsh(hosts[0]!, 'vol-info', '--pool', 'default', names.disk)).code, 0);

  await ok(api.storage.resizeVolume.mutate({ pool: 'default', name: names.disk, capacityBytes: 48 * MIB }), 'resize');
  assert.equal((await volume(names.disk))?.capacityBytes, 48 * MIB);
  const info = await virsh(hosts[0]!, 'vol-info', '--pool', 'default', names.disk, '--bytes');
  assert.match(info.stdout, new RegExp(`Capacity:\\s+${48 * MIB} bytes`));
  const shrink = await rejection(
    api.storage.resizeVolume.mutate({ pool: 'default', name: names.disk, capacityBytes: 16 * MIB }),
  );
  assert.equal(shrink.code, 'BAD_INPUT');
});

test('a full copy has its own data: the source changing later does not change it', async () => {
  const src = `${run}-src.img`;
  const copy = `${run}-copy.qcow2`;
  await ok(
    api.storage.createVolume.mutate({ pool: 'default', name: src, format: 'raw', capacityBytes: 8 * MIB }),
    'src',
  );
  const srcPath = (await volume(src))?.path;
  assert.ok(srcPath);
  const h = hosts[0]!;
  assert.equal((await sh(h, `printf vireo-data-1 | dd of=${srcPath} conv=notrunc status=none`)).code, 0);
  await ok(
    api.storage.cloneVolume.mutate({
      pool: 'default',
      name: copy,
      source: { pool: 'default', name: src },
      mode: 'full',
      format: 'qcow2',
    }),
    'full copy',
  );
  const made = await volume(copy);
  assert.ok(made);
  assert.equal(made.format, 'qcow2');
  assert.equal(made.backingPath, null);
  assert.equal(made.capacityBytes, 8 * MIB);
  assert.equal((await sh(h, `printf vireo-data-2 | dd of=${srcPath} conv=notrunc status=none`)).code, 0);
  const tmp = `/tmp/${run}-copy.raw`;
  const read = await sh(h, `qemu-img convert -U -O raw ${made.path} ${tmp} && head -c 12 ${tmp}; rm -f ${tmp}`);
  assert.equal(read.stdout, 'vireo-data-1', read.stderr);
});

test('a host pool is defined on its host only, and deleted again', async () => {
  const [first] = await api.host.list.query().then((l) => l.filter((h) => h.name === hosts[0]!.name));
  assert.ok(first);
  const name = `${run}-hp`.toLowerCase();
  const path = `${lab().sharedDir}/${name}`;
  const made = await api.storage.createPool.mutate({ scope: 'host', hostId: first.id, name, path });
  assert.deepEqual(made.notApplied, []);
  assert.match((await virsh(hosts[0]!, 'pool-info', name)).stdout, /State:\s+running/);
  for (const h of hosts.slice(1)) assert.notEqual((await virsh(h, 'pool-info', name)).code, 0);
  const bad = await rejection(
    api.storage.createPool.mutate({ scope: 'host', hostId: first.id, name: 'x', path: '/a/../b' }),
  );
  assert.equal(bad.code, 'BAD_INPUT');
  const taken = await rejection(
    api.storage.createPool.mutate({ scope: 'host', hostId: first.id, name, path: `${path}2` }),
  );
  assert.equal(taken.code, 'CONFLICT');
  await api.storage.deletePool.mutate({ name });
  assert.notEqual((await virsh(hosts[0]!, 'pool-info', name)).code, 0);
  assert.equal(
    (await api.storage.list.query()).some((p) => p.name === name),
    false,
  );
});
