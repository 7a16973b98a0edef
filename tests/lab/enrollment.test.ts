/**
 * Enrollment: a token never silently re-enrolls an enrolled host (its credential keeps working)
 * until an admin allows the host's re-install; then the old credential is refused. Tokens are
 * listed without secrets and can be revoked.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { AGENT_WS_PATH, ENROLL_PATH } from '@vireo/protocol';
import WebSocket from 'ws';
import { admin, baseUrl } from '../support/api.ts';
import { inHost, lab, waitFor, labHostsAllOnline } from '../support/lab.ts';

const exec = promisify(execFile);
const stackCtl = (...args: string[]) => exec('bash', ['scripts/stack-ctl.sh', ...args], { timeout: 60_000 });

type Api = Awaited<ReturnType<typeof admin>>['api'];
let api: Api;

async function enroll(token: string, hostUuid: string, hostname = 'enroll-test') {
  const res = await fetch(`${baseUrl()}${ENROLL_PATH}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token, hostUuid, hostname }),
  });
  return {
    status: res.status,
    body: (await res.json()) as { code?: string; message?: string; credential?: string; hostId?: string },
  };
}

/** The HTTP status the manager answers an agent WebSocket upgrade with (101: accepted). */
function agentUpgradeStatus(credential: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${baseUrl().replace(/^http/, 'ws')}${AGENT_WS_PATH}`, {
      headers: { authorization: `Bearer ${credential}` },
    });
    const timer = setTimeout(() => reject(new Error('no answer to the agent upgrade in 10 s')), 10_000);
    ws.on('upgrade', () => {
      clearTimeout(timer);
      resolve(101);
      ws.close();
    });
    ws.on('unexpected-response', (_req, res) => {
      clearTimeout(timer);
      resolve(res.statusCode ?? 0);
    });
    ws.on('error', () => {});
  });
}

before(async () => {
  ({ api } = await admin());
});

test('tokens are listed without their secret and a revoked token cannot enroll', async () => {
  const { id, token } = await api.host.createEnrollmentToken.mutate();
  const listed = await api.host.enrollment.query();
  const row = listed.tokens.find((t) => t.id === id);
  assert.ok(row, 'the new token is listed');
  assert.equal(row.status, 'valid');
  assert.equal(row.createdByName, 'admin');
  assert.ok(!JSON.stringify(listed).includes(token), 'the secret is never shown again');
  const ttlMs = Date.parse(row.expiresAt) - Date.parse(row.createdAt);
  assert.ok(Math.abs(ttlMs - listed.ttlHours * 3600_000) < 5_000, 'expires after the one configured lifetime');

  await api.host.revokeEnrollmentToken.mutate({ tokenId: id });
  assert.equal((await api.host.enrollment.query()).tokens.find((t) => t.id === id)?.status, 'revoked');
  const refused = await enroll(token, randomUUID());
  assert.equal(refused.status, 401, JSON.stringify(refused.body));
  assert.equal(refused.body.code, 'UNAUTHORIZED');
});

test('re-enrolling an enrolled host is refused until an admin allows its re-install', async () => {
  const labHost = lab().hosts[0];
  assert.ok(labHost);
  const host = (await api.host.list.query()).find((h) => h.hostname === labHost.name);
  assert.ok(host, `host ${labHost.name} is enrolled`);
  assert.equal(host.status, 'online');
  const caps = await inHost(labHost, ['virsh', '-c', 'qemu:///system', 'capabilities']);
  const hostUuid = /<host>\s*<uuid>([0-9a-f-]{36})<\/uuid>/.exec(caps.stdout)?.[1];
  assert.ok(hostUuid, 'the lab host’s libvirt host UUID');
  const credFile = join(process.env.VIREO_TEST_STACK_DIR ?? '', 'agents', labHost.name, 'credential.json');
  const saved = JSON.parse(await readFile(credFile, 'utf8')) as { hostId: string; credential: string };
  assert.equal(saved.hostId, host.id);

  let restored = false;
  after(async () => {
    if (restored) return;
    // Leave the lab host's agent connected whatever happened above.
    await stackCtl('stop-agent', labHost.name);
    await stackCtl('start-agents');
    await waitFor('host online', async () => labHostsAllOnline(await api.host.list.query()), 30_000, 250);
  });

  const { id: tokenId, token } = await api.host.createEnrollmentToken.mutate();
  const refused = await enroll(token, hostUuid, labHost.name);
  assert.equal(refused.status, 409, JSON.stringify(refused.body));
  assert.equal(refused.body.code, 'CONFLICT');
  assert.match(refused.body.message ?? '', /already enrolled/);
  assert.match(refused.body.message ?? '', /allow its re-enrollment/, 'says what to do');
  assert.equal(await agentUpgradeStatus(saved.credential), 101, 'the existing credential keeps working');
  const still = (await api.host.list.query()).find((h) => h.id === host.id);
  assert.equal(still?.status, 'online', 'the agent stays connected');
  const tokenRow = (await api.host.enrollment.query()).tokens.find((t) => t.id === tokenId);
  assert.equal(tokenRow?.status, 'valid', 'a refused enrollment does not spend the token');

  const { until } = await api.host.allowReinstall.mutate({ hostId: host.id });
  assert.ok(Date.parse(until) > Date.now());
  const grants = await api.host.enrollment.query();
  assert.deepEqual(
    grants.reinstalls.map((r) => r.hostId),
    [host.id],
  );
  const event = (await api.event.list.query()).find((e) => e.kind === 'host.reinstall-allowed');
  assert.ok(event, 'the admin’s re-install grant is recorded as an event');

  const again = await enroll(token, hostUuid, labHost.name);
  assert.equal(again.status, 200, JSON.stringify(again.body));
  assert.equal(again.body.hostId, host.id, 'same host identity');
  assert.ok(again.body.credential);
  assert.equal(await agentUpgradeStatus(saved.credential), 401, 'the old credential is refused');
  assert.equal(await agentUpgradeStatus(again.body.credential), 101, 'the new credential is accepted');
  assert.deepEqual((await api.host.enrollment.query()).reinstalls, [], 'the grant is spent');
  await waitFor(
    'the agent on the old credential is disconnected',
    async () => (await api.host.list.query()).find((h) => h.id === host.id)?.status === 'offline',
    15_000,
    200,
  );

  // Re-install done: the agent gets its new credential and comes back as the same host.
  await writeFile(credFile, JSON.stringify({ hostId: host.id, credential: again.body.credential }), { mode: 0o600 });
  await stackCtl('stop-agent', labHost.name);
  await stackCtl('start-agents');
  await waitFor(
    'host online on its new credential',
    async () => (await api.host.list.query()).find((h) => h.id === host.id)?.status === 'online',
    30_000,
    250,
  );
  restored = true;
});
