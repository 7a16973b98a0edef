/**
 * API tokens used as a script would (plain fetch with `Authorization: Bearer`), and the audit
 * log that records what they and browsers change: who, how, from where, the result, and never a
 * password. The expired token is written straight into the stack's database (the API refuses
 * to mint one); everything else goes through the manager's HTTP API.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import path from 'node:path';
import { after, test } from 'node:test';
import { admin, adminPassword, baseUrl, loginAs, rejection, uniqueName } from '../support/api.ts';

const stackDir = process.env.VIREO_TEST_STACK_DIR;
if (!stackDir) throw new Error('VIREO_TEST_STACK_DIR is not set: run through scripts/test.sh');
process.env.DATABASE_URL ??= `file:${path.join(stackDir, 'vireo.db')}`;
const db = await import('@vireo/db');
after(() => db.closeDb());

const TRUSTED_PROXY = '127.0.0.5';

interface Call {
  status: number;
  body: { result?: { data?: unknown }; error?: { message: string; data?: { code?: string; vireoCode?: string } } };
}

/** One tRPC call over plain HTTP, as a script without Vireo's client would make it. */
async function call(token: string, kind: 'query' | 'mutation', procedure: string, input?: unknown): Promise<Call> {
  const url = `${baseUrl()}/api/trpc/${procedure}`;
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const res =
    kind === 'query'
      ? await fetch(input === undefined ? url : `${url}?input=${encodeURIComponent(JSON.stringify(input))}`, {
          headers,
        })
      : await fetch(url, { method: 'POST', headers, body: JSON.stringify(input ?? null) });
  return { status: res.status, body: (await res.json()) as Call['body'] };
}

/** A mutation from the trusted proxy's address, saying it forwards `client`. */
function viaProxy(token: string, procedure: string, input: unknown, client: string): Promise<number> {
  const url = new URL(baseUrl());
  const body = JSON.stringify(input);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: Number(url.port),
        method: 'POST',
        path: `/api/trpc/${procedure}`,
        localAddress: TRUSTED_PROXY,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'x-forwarded-for': client,
          'content-length': String(Buffer.byteLength(body)),
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

test('API tokens: read reads, write writes, read is refused a mutation; revoked and expired are refused; no token mints a token', async () => {
  const { api } = await admin();
  const username = uniqueName('pat').toLowerCase();
  const password = 'script-owner-password-1';
  const user = await api.user.create.mutate({ username, password, role: 'user' });
  after(() => api.user.delete.mutate({ userId: user.id }).catch(() => {}));
  const owner = await loginAs(username, password);

  const read = await owner.api.apiToken.create.mutate({ name: 'reader', scope: 'read', expiresInDays: 7 });
  const write = await owner.api.apiToken.create.mutate({ name: 'writer', scope: 'write', expiresInDays: 365 });
  assert.match(read.token, /^vireo_pat_[A-Za-z0-9_-]{43}$/);
  assert.equal(read.item.prefix, read.token.slice(0, 14));
  // Shown once: the list has the prefix, never the token.
  const listed = await owner.api.apiToken.list.query();
  assert.deepEqual(listed.map((t) => t.name).sort(), ['reader', 'writer']);
  assert.ok(!JSON.stringify(listed).includes(read.token.slice(14)));
  // Over the limit is refused.
  assert.equal(
    (await rejection(owner.api.apiToken.create.mutate({ name: 'x', scope: 'read', expiresInDays: 366 }))).code,
    'BAD_INPUT',
  );

  // Read: who am I, my VMs.
  const me = await call(read.token, 'query', 'auth.me');
  assert.equal(me.status, 200);
  assert.equal((me.body.result?.data as { username: string }).username, username);
  assert.equal((await call(read.token, 'query', 'vm.list')).status, 200);

  // Read scope, a mutation: FORBIDDEN with a clear message.
  const refused = await call(read.token, 'mutation', 'savedSearch.save', { name: 'mine', filter: {} });
  assert.equal(refused.status, 403);
  assert.match(refused.body.error?.message ?? '', /read scope/);

  // Write scope mutates.
  const saved = await call(write.token, 'mutation', 'savedSearch.save', { name: 'by-script', filter: {} });
  assert.equal(saved.status, 200, JSON.stringify(saved.body));
  assert.ok((await owner.api.savedSearch.list.query()).some((s) => s.name === 'by-script'));

  // No escalation: a token cannot create tokens, list them, nor manage users (even an admin's).
  const mint = await call(write.token, 'mutation', 'apiToken.create', {
    name: 'child',
    scope: 'write',
    expiresInDays: 1,
  });
  assert.equal(mint.status, 403);
  assert.match(mint.body.error?.message ?? '', /browser session/);
  const adminToken = await api.apiToken.create.mutate({ name: 'admin-script', scope: 'write', expiresInDays: 1 });
  const escalate = await call(adminToken.token, 'mutation', 'user.create', {
    username: uniqueName('esc').toLowerCase(),
    password: 'escalated-password-1',
    role: 'admin',
  });
  assert.equal(escalate.status, 403);
  const reset = await call(adminToken.token, 'mutation', 'user.resetPassword', {
    userId: user.id,
    password: 'stolen-password-1',
  });
  assert.equal(reset.status, 403);
  // Nor new access of other kinds: enrollment tokens, re-install grants, console share links.
  for (const [path, input] of [
    ['host.createEnrollmentToken', {}],
    ['host.allowReinstall', { hostId: 'any-host' }],
    ['consoleShare.create', { vmId: 'any-vm', expiresInMinutes: 60 }],
  ] as const) {
    const minted = await call(adminToken.token, 'mutation', path, input);
    assert.equal(minted.status, 403, path);
    assert.match(minted.body.error?.message ?? '', /browser session/, path);
  }
  // Bad requests say what is wrong: input that is not JSON, an audit filter Vireo does not know.
  const notJson = await fetch(`${baseUrl()}/api/trpc/vm.reboot`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminToken.token}`, 'content-type': 'application/json' },
    body: '{"vmId": ',
  });
  const notJsonBody = (await notJson.json()) as Call['body'];
  assert.equal(notJsonBody.error?.data?.vireoCode, 'BAD_INPUT', JSON.stringify(notJsonBody));
  const unknownKey = await call(adminToken.token, 'query', 'audit.search', { action: 'vm.start' });
  assert.equal(unknownKey.status, 400);
  assert.match(unknownKey.body.error?.message ?? '', /action/);
  // ...but an admin's token does read admin things (the audit log, for a SIEM).
  assert.equal((await call(adminToken.token, 'query', 'audit.search', { limit: 5 })).status, 200);

  // Revoked: UNAUTHORIZED at once.
  await owner.api.apiToken.revoke.mutate({ tokenId: write.item.id });
  const revoked = await call(write.token, 'query', 'vm.list');
  assert.equal(revoked.status, 401);
  assert.equal(revoked.body.error?.data?.vireoCode, 'UNAUTHORIZED');
  // A script is told its token is the problem, not asked to log in.
  assert.match(revoked.body.error?.message ?? '', /API token is unknown, revoked or expired/);

  // Expired: UNAUTHORIZED.
  const expired = await db.apiTokens.create({
    userId: user.id,
    name: 'old',
    scope: 'read',
    expiresAt: new Date(Date.now() - 1000),
  });
  assert.equal((await call(expired.token, 'query', 'vm.list')).status, 401);
  // A token that never existed, and a disabled user's token: UNAUTHORIZED.
  assert.equal((await call(`vireo_pat_${'A'.repeat(43)}`, 'query', 'vm.list')).status, 401);
  await api.user.setDisabled.mutate({ userId: user.id, disabled: true });
  assert.equal((await call(read.token, 'query', 'vm.list')).status, 401);
  await api.user.setDisabled.mutate({ userId: user.id, disabled: false });
  assert.equal((await call(read.token, 'query', 'vm.list')).status, 200);

  // The admin sees and may revoke anyone's tokens.
  const everyone = await api.apiToken.list.query({ all: true });
  assert.ok(everyone.some((t) => t.id === read.item.id && t.username === username));
  await api.apiToken.revoke.mutate({ tokenId: read.item.id });
  await api.apiToken.revoke.mutate({ tokenId: adminToken.item.id });
  assert.equal((await call(read.token, 'query', 'vm.list')).status, 401);
  // A user cannot revoke someone else's token (it does not exist for them). (Disabling ended
  // the user's session: log in again.)
  const again = await loginAs(username, password);
  const other = await api.apiToken.create.mutate({ name: 'admins-own', scope: 'read', expiresInDays: 1 });
  assert.equal((await rejection(again.api.apiToken.revoke.mutate({ tokenId: other.item.id }))).code, 'NOT_FOUND');
  await api.apiToken.revoke.mutate({ tokenId: other.item.id });
});

test('the audit log records mutations with user, address and result, failures with their error, failed logins, and no password', async () => {
  const { api } = await admin();
  const username = uniqueName('aud').toLowerCase();
  const password = 'audited-user-password-1';
  const user = await api.user.create.mutate({ username, password, role: 'user' });
  after(() => api.user.delete.mutate({ userId: user.id }).catch(() => {}));
  const owner = await loginAs(username, password);
  const token = await owner.api.apiToken.create.mutate({ name: 'audited', scope: 'write', expiresInDays: 1 });
  after(() => owner.api.apiToken.revoke.mutate({ tokenId: token.item.id }).catch(() => {}));

  // A mutation through a trusted proxy: the client's address is the forwarded one.
  assert.equal(await viaProxy(token.token, 'savedSearch.save', { name: 'audited', filter: {} }, '203.0.113.7'), 200);
  // A failed mutation: a VM that does not exist.
  const missing = await call(token.token, 'mutation', 'vm.start', { vmId: 'no-such-vm' });
  assert.equal(missing.status, 404);
  // A failed login (attempted name kept, password not), then a good one.
  const wrongPassword = 'Wrong-Password-Never-Stored-42';
  const failedLogin = await rejection(loginAs(username, wrongPassword));
  assert.equal(failedLogin.code, 'UNAUTHORIZED');
  await loginAs(username, password);

  const mine = (await api.audit.search.query({ username, limit: 50 })).entries;
  const save = mine.find((e) => e.action === 'savedSearch.save');
  assert.ok(save, JSON.stringify(mine.map((e) => e.action)));
  assert.equal(save.ok, true);
  assert.equal(save.userId, user.id);
  assert.equal(save.authKind, 'token');
  assert.equal(save.tokenId, token.item.id);
  assert.equal(save.address, '203.0.113.7');
  assert.ok(save.durationMs >= 0);

  const start = mine.find((e) => e.action === 'vm.start');
  assert.ok(start);
  assert.equal(start.ok, false);
  assert.equal(start.errorCode, 'NOT_FOUND');
  assert.ok(start.message && start.message.length > 0);
  assert.equal(start.objectType, 'vm');
  assert.equal(start.objectId, 'no-such-vm');

  const logins = mine.filter((e) => e.action === 'auth.login');
  assert.ok(
    logins.some((e) => !e.ok && e.errorCode === 'UNAUTHORIZED' && e.userId === null),
    'failed login',
  );
  assert.ok(
    logins.some((e) => e.ok && e.userId === user.id && e.authKind === 'session'),
    'good login',
  );
  const tokenCreate = mine.find((e) => e.action === 'apiToken.create');
  assert.ok(tokenCreate?.ok);

  // Filters: action prefix and failures only.
  const failed = (await api.audit.search.query({ username, result: 'failed', limit: 50 })).entries;
  assert.ok(failed.length >= 2 && failed.every((e) => !e.ok));
  const saves = (await api.audit.search.query({ actionPrefix: 'savedSearch.', username, limit: 50 })).entries;
  assert.ok(saves.length >= 1 && saves.every((e) => e.action.startsWith('savedSearch.')));

  // No entry anywhere holds a password or a token: not the user's, not the wrong one, not the admin's.
  const all = (await api.audit.search.query({ limit: 200 })).entries;
  const text = JSON.stringify(all);
  for (const secret of [password, wrongPassword, adminPassword(), token.token, 'stolen-password-1']) {
    assert.ok(!text.includes(secret), `a secret leaked into the audit log: ${secret.slice(0, 4)}…`);
  }
  const createUser = all.find((e) => e.action === 'user.create' && e.input?.includes(username));
  assert.ok(createUser?.input?.includes('[redacted]'), 'the new user’s password is redacted');

  // CSV export of the same filter, by session cookie: the header and the rows, properly escaped.
  const adminClient = await admin();
  const csv = await fetch(`${baseUrl()}/api/audit/export.csv?username=${encodeURIComponent(username)}`, {
    headers: { cookie: adminClient.cookie() },
  });
  assert.equal(csv.status, 200);
  assert.match(csv.headers.get('content-type') ?? '', /text\/csv/);
  const lines = (await csv.text()).trim().split('\r\n');
  assert.match(lines[0] ?? '', /^time,user,auth,token,action,/);
  assert.ok(lines.some((l) => l.includes(',savedSearch.save,') && l.includes('203.0.113.7')));
  assert.ok(!lines.join('\n').includes(wrongPassword));
  // Non-admins get no export.
  const denied = await fetch(`${baseUrl()}/api/audit/export.csv`, { headers: { cookie: owner.cookie() } });
  assert.equal(denied.status, 403);
});
