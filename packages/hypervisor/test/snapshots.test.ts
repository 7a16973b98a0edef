import assert from 'node:assert/strict';
import { test } from 'node:test';
import { VireoError } from '@vireo/protocol';
import { LibvirtSnapshotOps, buildSnapshotXml, parseSnapshotXml, withDescription } from '../src/ops/snapshots.ts';
import { FakeSnapshotOps } from '../src/ops/fake-snapshots.ts';

// As libvirt 9.0 wrote it in the lab (`virsh snapshot-dumpxml`), domain cut short.
const LAB_XML = `<domainsnapshot>
  <name>s5</name>
  <description>before &amp; after</description>
  <state>shutoff</state>
  <parent>
    <name>s1</name>
  </parent>
  <creationTime>1796150806</creationTime>
  <memory snapshot='no'/>
  <disks>
    <disk name='vda' snapshot='internal'/>
  </disks>
  <domain type='qemu'><name>exp1</name></domain>
</domainsnapshot>`;

test('snapshot XML: name, parent, state, memory, time, description (entities decoded)', () => {
  const s = parseSnapshotXml(LAB_XML, true);
  assert.deepEqual(s, {
    name: 's5',
    description: 'before & after',
    parent: 's1',
    state: 'shutoff',
    withMemory: false,
    createdAt: 1796150806000,
    current: true,
  });
  const root = parseSnapshotXml(
    "<domainsnapshot><name>s1</name><state>running</state><creationTime>1</creationTime><memory snapshot='internal'/></domainsnapshot>",
    false,
  );
  assert.equal(root.parent, null);
  assert.equal(root.withMemory, true);
  assert.equal(root.description, '');
});

test('create XML asks for internal memory or none; describe replaces or inserts the description', () => {
  assert.match(buildSnapshotXml({ name: 'a', withMemory: true }), /<memory snapshot='internal'\/>/);
  assert.match(
    buildSnapshotXml({ name: 'a', withMemory: false, description: '<x>' }),
    /<description>&lt;x&gt;<\/description><memory snapshot='no'\/>/,
  );
  assert.match(withDescription(LAB_XML, 'new'), /<description>new<\/description>/);
  assert.doesNotMatch(withDescription(LAB_XML, 'new'), /before/);
  const bare = '<domainsnapshot>\n  <name>s1</name>\n  <state>running</state>\n</domainsnapshot>';
  assert.match(withDescription(bare, 'one'), /<name>s1<\/name>\n {2}<description>one<\/description>/);
});

test("libvirt's refusals of a snapshot kind become coded errors", async () => {
  const refusing = (message: string) =>
    new LibvirtSnapshotOps(async () => {
      throw new VireoError('LIBVIRT_ERROR', `libvirt refused: ${message}`, { libvirt: { message } });
    }, '/org/libvirt/QEMU');
  const codeOf = async (message: string) => {
    try {
      await refusing(message).create('11111111-1111-1111-1111-111111111111', { name: 'x', withMemory: true });
    } catch (err) {
      return VireoError.is(err) ? `${err.code}/${err.object}` : String(err);
    }
    return 'ok';
  };
  assert.equal(
    await codeOf('unsupported configuration: internal snapshot for disk vdb unsupported for storage type raw'),
    'INVALID_STATE/snapshot',
  );
  assert.equal(
    await codeOf('Operation not supported: internal snapshots of a VM with pflash based firmware are not supported'),
    'INVALID_STATE/snapshot',
  );
  assert.equal(
    await codeOf('Operation not supported: internal snapshot of a running VM must include the memory state'),
    'INVALID_STATE/snapshot',
  );
  assert.equal(await codeOf('operation failed: domain moment a already exists'), 'CONFLICT/snapshot');
  assert.equal(await codeOf('something else'), 'LIBVIRT_ERROR/undefined');
});

test('fake snapshots: kinds follow the state, delete re-parents children', async () => {
  let state = 'running';
  const f = new FakeSnapshotOps(() => state);
  const vm = 'u';
  await f.create(vm, { name: 'a', withMemory: true });
  await assert.rejects(f.create(vm, { name: 'b', withMemory: false }), (e) => VireoError.is(e, 'INVALID_STATE'));
  state = 'shutoff';
  await f.create(vm, { name: 'b', withMemory: false });
  await f.remove(vm, 'a');
  const list = await f.list(vm);
  assert.deepEqual(
    list.map((s) => [s.name, s.parent, s.current]),
    [['b', null, true]],
  );
});
