/**
 * The manager's sweeps on the real lab, run when a host (re)connects:
 * - `vireo-*` libvirt networks and nwfilters that no Network or SecurityGroup row owns are
 *   removed from the host; Vireo's own (`vireo-default`) and non-Vireo ones stay;
 * - an image upload still open long after it started (its row backdated in the stack's database
 *   past VIREO_IMAGE_UPLOAD_ABANDON_H) loses its part file on the host and is marked failed.
 */
import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { admin, type Api } from '../support/api.ts';
import { putChunk } from '../support/images.ts';
import { type LabHost, lab, labHostsAllOnline, virsh, waitFor } from '../support/lab.ts';

const exec = promisify(execFile);
let api: Api;
let cookie: () => string;
let host: LabHost;

const stackDir = () => {
  const dir = process.env.VIREO_TEST_STACK_DIR;
  if (!dir) throw new Error('VIREO_TEST_STACK_DIR is not set: run through scripts/test.sh');
  return dir;
};

before(async () => {
  ({ api, cookie } = await admin());
  host = lab().hosts[0] as LabHost;
});

after(async () => {
  await exec('bash', ['scripts/stack-ctl.sh', 'start-agents'], { timeout: 90_000 }).catch(() => {});
});

/** Restarts the agent of `h`: it connects again, and the manager sweeps. */
async function reconnect(h: LabHost): Promise<void> {
  await exec('bash', ['scripts/stack-ctl.sh', 'stop-agent', h.name], { timeout: 90_000 });
  await waitFor(
    `${h.name} offline`,
    async () => (await api.host.list.query()).find((x) => x.name === h.name)?.status === 'offline',
    15_000,
    100,
  );
  await exec('bash', ['scripts/stack-ctl.sh', 'start-agents'], { timeout: 90_000 });
  await waitFor('every host online', async () => labHostsAllOnline(await api.host.list.query()), 45_000, 200);
}

async function names(h: LabHost, ...args: string[]): Promise<string[]> {
  return (await virsh(h, ...args)).stdout
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean);
}

async function defineXml(h: LabHost, command: string, file: string, xml: string): Promise<void> {
  const path = join(lab().sharedDir, file);
  writeFileSync(path, xml);
  const r = await virsh(h, command, path);
  assert.equal(r.code, 0, r.stderr);
}

test('vireo-* networks and filters no row owns are removed when the host connects; others stay', async () => {
  const tag = Date.now().toString(36);
  const staleNet = `vireo-stale${tag}`;
  const otherNet = `other${tag}`;
  const staleFilter = `vireo-sg-stale${tag}`;
  const otherFilter = `other-filter${tag}`;
  await defineXml(
    host,
    'net-define',
    `${staleNet}.xml`,
    `<network><name>${staleNet}</name><bridge name='vst${tag.slice(-8)}' stp='off'/></network>`,
  );
  await defineXml(
    host,
    'net-define',
    `${otherNet}.xml`,
    `<network><name>${otherNet}</name><bridge name='vot${tag.slice(-8)}' stp='off'/></network>`,
  );
  await defineXml(host, 'nwfilter-define', `${staleFilter}.xml`, `<filter name='${staleFilter}' chain='root'/>`);
  await defineXml(host, 'nwfilter-define', `${otherFilter}.xml`, `<filter name='${otherFilter}' chain='root'/>`);
  // A security group's filter is owned: it stays.
  const group = await api.network.createSecurityGroup
    .mutate({ name: `sweep${tag}`, description: '' })
    .catch(() => null);
  const nets = () => names(host, 'net-list', '--all', '--name');
  const filters = () => names(host, 'nwfilter-list').then((l) => l.map((x) => x.split(/\s+/)[1] ?? ''));
  assert.ok((await nets()).includes(staleNet));
  assert.ok((await filters()).includes(staleFilter));

  await reconnect(host);
  await waitFor(
    'the stale network and filter removed',
    async () => !(await nets()).includes(staleNet) && !(await filters()).includes(staleFilter),
    30_000,
    250,
  );
  const netsAfter = await nets();
  assert.ok(netsAfter.includes(otherNet), 'a network that is not Vireo’s stays');
  assert.ok(netsAfter.includes('vireo-default'), 'Vireo’s own network stays');
  const filtersAfter = await filters();
  assert.ok(filtersAfter.includes(otherFilter), 'a filter that is not Vireo’s stays');
  if (group) assert.ok(filtersAfter.includes(group.filterName), 'a security group’s filter stays');
  const swept = (await api.event.list.query()).find((e) => e.kind === 'host.swept' && e.message.includes(staleNet));
  assert.ok(swept, 'an event says what was removed');

  await virsh(host, 'net-undefine', otherNet);
  await virsh(host, 'nwfilter-undefine', otherFilter);
  if (group) await api.network.deleteSecurityGroup.mutate({ groupId: group.id }).catch(() => {});
});

test('an upload left open past VIREO_IMAGE_UPLOAD_ABANDON_H loses its part file and is marked failed', async () => {
  const hostRow = (await api.host.list.query()).find((h) => h.name === host.name);
  assert.ok(hostRow);
  const upload = await api.image.createUpload.mutate({
    hostId: hostRow.id,
    pool: 'default',
    name: `abandoned-${Date.now().toString(36)}.raw`,
    format: 'raw',
    sizeBytes: 4 * 1024 * 1024,
  });
  const sent = await putChunk({ api, cookie }, upload.id, 0, Buffer.alloc(1024 * 1024, 7));
  assert.equal(sent.status, 200, sent.body);
  const part = join(lab().sharedDir, 'pool-default', `.upload-${upload.id}.part`);
  assert.ok(existsSync(part), 'the host has the part file');

  // A fresh upload is left alone by the sweep.
  await reconnect(host);
  assert.equal((await api.image.uploads.query()).find((x) => x.id === upload.id)?.state, 'open');
  assert.ok(existsSync(part));

  // Started two days ago (the default limit is 24 h): abandoned.
  const db = join(stackDir(), 'vireo.db');
  const kind = execFileSync('sqlite3', [db, `SELECT typeof(createdAt) FROM ImageUpload WHERE id='${upload.id}'`], {
    encoding: 'utf8',
  }).trim();
  const older =
    kind === 'integer' ? 'createdAt - 172800000' : `strftime('%Y-%m-%dT%H:%M:%fZ', datetime(createdAt, '-2 days'))`;
  execFileSync('sqlite3', [db, `UPDATE ImageUpload SET createdAt = ${older} WHERE id='${upload.id}'`]);

  await reconnect(host);
  await waitFor(
    'the upload marked failed',
    async () => (await api.image.uploads.query()).find((x) => x.id === upload.id)?.state === 'failed',
    20_000,
    200,
  );
  const row = (await api.image.uploads.query()).find((x) => x.id === upload.id);
  assert.match(row?.errorMessage ?? '', /Abandoned/);
  await waitFor('the part file removed', async () => !existsSync(part), 10_000, 100);
});
