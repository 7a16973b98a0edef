/**
 * Console access: a ticket opens the VM's VNC stream once, expires, is refused from a foreign
 * Origin, and is useless to a user without rights to the VM.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { admin, baseUrl, createTestVm, loginAs, rejection, uniqueName, waitTask } from '../support/api.ts';

type Client = Awaited<ReturnType<typeof admin>>;

/** Opens the console socket; resolves with the first bytes (the RFB greeting) or the refusal. */
function openConsole(
  path: string,
  ticket: string,
  cookie: string,
  origin: string,
): Promise<{ greeting?: string; status?: number }> {
  const url = `${baseUrl().replace(/^http/, 'ws')}${path}?ticket=${encodeURIComponent(ticket)}`;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers: { cookie, origin } });
    const timer = setTimeout(() => reject(new Error('no answer from the console socket in 15 s')), 15_000);
    ws.on('unexpected-response', (_req, res) => {
      clearTimeout(timer);
      resolve({ status: res.statusCode ?? 0 });
    });
    ws.on('message', (data: Buffer) => {
      clearTimeout(timer);
      resolve({ greeting: data.toString('latin1') });
      ws.close();
    });
    ws.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

let owner: Client;
let vmId = '';

before(async () => {
  owner = await admin();
  ({ vmId } = await createTestVm(owner.api, 'con'));
});

after(async () => {
  await waitTask(owner.api, (await owner.api.vm.forceOff.mutate({ vmId })).taskId);
  await waitTask(owner.api, (await owner.api.vm.delete.mutate({ vmId })).taskId);
});

test('a ticket opens the VNC stream once, then never again', async () => {
  const { ticket, path, expiresInS } = await owner.api.vm.consoleTicket.mutate({ vmId });
  assert.ok(expiresInS <= 60);
  const first = await openConsole(path, ticket, owner.cookie(), baseUrl());
  assert.match(first.greeting ?? '', /^RFB 003\.00\d\n/, 'the VM’s VNC server greets through the relay');
  const again = await openConsole(path, ticket, owner.cookie(), baseUrl());
  assert.equal(again.status, 403, 'a used ticket is refused');
});

test('a ticket expires', async () => {
  const { ticket, path, expiresInS } = await owner.api.vm.consoleTicket.mutate({ vmId });
  await new Promise((r) => setTimeout(r, (expiresInS + 1) * 1000));
  assert.equal((await openConsole(path, ticket, owner.cookie(), baseUrl())).status, 403);
});

test('a wrong Origin is refused', async () => {
  const { ticket, path } = await owner.api.vm.consoleTicket.mutate({ vmId });
  assert.equal((await openConsole(path, ticket, owner.cookie(), 'http://evil.example')).status, 403);
  assert.equal((await openConsole(path, ticket, owner.cookie(), '')).status, 403);
});

test('a user without rights to the VM is refused', async () => {
  const username = uniqueName('user')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')
    .slice(0, 20);
  await owner.api.user.create.mutate({ username, password: 'not-the-admin-pw', role: 'user' });
  const other = await loginAs(username, 'not-the-admin-pw');
  const denied = await rejection(other.api.vm.consoleTicket.mutate({ vmId }));
  assert.equal(denied.code, 'NOT_FOUND');
  // Even holding the owner's ticket, another session cannot use it.
  const { ticket, path } = await owner.api.vm.consoleTicket.mutate({ vmId });
  assert.equal((await openConsole(path, ticket, other.cookie(), baseUrl())).status, 403);
  assert.equal((await openConsole(path, ticket, '', baseUrl())).status, 401);
});

test('logging out closes the consoles that session opened', async () => {
  const session = await admin();
  const { ticket, path } = await session.api.vm.consoleTicket.mutate({ vmId });
  const url = `${baseUrl().replace(/^http/, 'ws')}${path}?ticket=${encodeURIComponent(ticket)}`;
  const ws = new WebSocket(url, { headers: { cookie: session.cookie(), origin: baseUrl() } });
  await new Promise<void>((resolve, reject) => {
    ws.once('message', () => resolve());
    ws.once('error', reject);
  });
  const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
  await session.api.auth.logout.mutate();
  assert.equal(await closed, 4001);
});
