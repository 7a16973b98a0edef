import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { CLOUD_INIT_USER_DATA_MAX, VireoError } from '@vireo/protocol';
import { seedFiles, writeSeedIso } from '../src/cloud-init.ts';

const run = promisify(execFile);
const KEY = 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl alice@laptop';

let dir = '';
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vireo-seed-test-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const badInput = (e: unknown) => VireoError.is(e, 'BAD_INPUT');
const isoFile = async (iso: string, name: string) => (await run('isoinfo', ['-R', '-i', iso, '-x', `/${name}`])).stdout;

test('writes an ISO9660 volume labelled cidata with meta-data and user-data', async () => {
  const iso = join(dir, 'seed.iso');
  const files = await writeSeedIso({ hostname: 'web-01', userData: '#!/bin/sh\necho hi\n' }, iso);
  const pvd = (await run('isoinfo', ['-d', '-i', iso])).stdout;
  assert.match(pvd, /^Volume id: cidata$/m);
  assert.match(pvd, /Rock Ridge signatures version/);
  const list = (await run('isoinfo', ['-R', '-f', '-i', iso])).stdout.split('\n').filter(Boolean).sort();
  assert.deepEqual(list, ['/meta-data', '/user-data']);
  const meta = JSON.parse(await isoFile(iso, 'meta-data'));
  assert.equal(meta['local-hostname'], 'web-01');
  assert.match(meta['instance-id'], /^iid-[0-9a-f]{16}$/);
  assert.equal(await isoFile(iso, 'user-data'), '#!/bin/sh\necho hi\n');
  assert.equal(files.userData, '#!/bin/sh\necho hi\n');
  // Only the ISO is left in the target dir (no temporary file).
  assert.deepEqual(await readdir(dir), ['seed.iso']);
});

test('hostile hostnames are refused and no file is written', async () => {
  for (const hostname of [
    'a\nb',
    'web-01\n',
    'x: y',
    'h\ninstance-id: evil',
    'a.b',
    '-lead',
    'trail-',
    '',
    'a'.repeat(64),
    '"q"',
  ]) {
    const iso = join(dir, 'refused.iso');
    await assert.rejects(writeSeedIso({ hostname }, iso), badInput, JSON.stringify(hostname));
  }
  assert.ok(!(await readdir(dir)).includes('refused.iso'));
  assert.equal(JSON.parse(seedFiles({ hostname: 'a'.repeat(63) }).metaData)['local-hostname'], 'a'.repeat(63));
});

test('user-data over the cap is refused; at the cap it is accepted', () => {
  const at = `#!/bin/sh\n${'x'.repeat(CLOUD_INIT_USER_DATA_MAX - 10)}`;
  assert.equal(new TextEncoder().encode(at).length, CLOUD_INIT_USER_DATA_MAX);
  assert.equal(seedFiles({ hostname: 'h', userData: at }).userData, at);
  assert.throws(() => seedFiles({ hostname: 'h', userData: `${at}x` }), badInput);
  // Multi-byte characters count as their UTF-8 size.
  assert.throws(
    () => seedFiles({ hostname: 'h', userData: `#!/bin/sh\n${'é'.repeat(CLOUD_INIT_USER_DATA_MAX / 2)}` }),
    badInput,
  );
  assert.throws(() => seedFiles({ hostname: 'h', userData: 'echo not a script' }), badInput);
});

test('user and ssh keys become JSON cloud-config; hostile keys and names are refused', () => {
  const { userData } = seedFiles({ hostname: 'h', user: { name: 'alice', sshAuthorizedKeys: [KEY] } });
  const [first, ...rest] = userData.split('\n');
  assert.equal(first, '#cloud-config');
  const config = JSON.parse(rest.join('\n'));
  assert.deepEqual(config.users[0].ssh_authorized_keys, [KEY]);
  assert.equal(config.users[0].name, 'alice');
  for (const key of [`${KEY}\nruncmd: [reboot]`, 'ssh-ed25519 AAAA"', 'not-a-key AAAA', `${KEY}\u0000`]) {
    assert.throws(() => seedFiles({ hostname: 'h', user: { name: 'alice', sshAuthorizedKeys: [key] } }), badInput);
  }
  for (const name of ['Alice', 'a b', 'root\n', 'x:y']) {
    assert.throws(() => seedFiles({ hostname: 'h', user: { name, sshAuthorizedKeys: [] } }), badInput);
  }
  assert.throws(() => seedFiles({ hostname: 'h', extra: 1 }), badInput);
});

test('user plus a script: a multipart/mixed user-data with both parts', () => {
  const { userData } = seedFiles({
    hostname: 'h',
    user: { name: 'alice', sshAuthorizedKeys: [KEY] },
    userData: '#!/bin/sh\necho hi\n',
  });
  const boundary = /^Content-Type: multipart\/mixed; boundary="([^"]+)"\n/.exec(userData)?.[1];
  assert.ok(boundary, userData);
  const parts = userData.split(`\n--${boundary}`);
  assert.equal(parts.length, 4, userData); // preamble, 2 parts, closing "--"
  assert.match(parts[1]!, /Content-Type: text\/cloud-config;[^\n]*\n[^\n]*\n\n#cloud-config\n/);
  assert.match(parts[2]!, /Content-Type: text\/x-shellscript;[^\n]*\n[^\n]*\n\n#!\/bin\/sh\necho hi$/);
  assert.equal(parts[3], '--\n');
});

test('a relative target path is refused', async () => {
  await assert.rejects(writeSeedIso({ hostname: 'h' }, 'seed.iso'), badInput);
});
