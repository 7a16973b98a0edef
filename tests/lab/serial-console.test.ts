/**
 * The serial console: a ticket of kind 'serial' opens the VM's serial port (a root shell in the
 * lab guest) once; used, expired, foreign-session and no-rights tickets are refused; a second
 * session takes the port over (the first is told so, code 4009); and every session is in the
 * event log with who, which VM and how long.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { admin, baseUrl, createTestVm, loginAs, rejection, uniqueName, waitTask } from '../support/api.ts';
import { waitFor } from '../support/lab.ts';

type Client = Awaited<ReturnType<typeof admin>>;

const TAKEN_OVER = 4009;

interface Serial {
  ws: WebSocket;
  /** Everything the port sent so far (binary frames). */
  output: () => string;
  /** The manager's text frame saying the host's end is joined. */
  ready: Promise<string>;
  closed: Promise<number>;
}

/** Opens a serial console socket; resolves once open, or with the HTTP status it was refused with. */
function openSerial(ticket: string, path: string, cookie: string, origin = baseUrl()): Promise<Serial | number> {
  const url = `${baseUrl().replace(/^http/, 'ws')}${path}?ticket=${encodeURIComponent(ticket)}`;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers: { cookie, origin } });
    let out = '';
    let joined: (text: string) => void = () => {};
    const ready = new Promise<string>((r) => {
      joined = r;
    });
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    const timer = setTimeout(() => reject(new Error('no answer from the console socket in 15 s')), 15_000);
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (isBinary) out += data.toString('latin1');
      else joined(data.toString());
    });
    ws.once('open', () => {
      clearTimeout(timer);
      resolve({ ws, output: () => out, ready, closed });
    });
    ws.once('unexpected-response', (_req, res) => {
      clearTimeout(timer);
      resolve(res.statusCode ?? 0);
    });
    ws.once('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
  });
}

async function mustOpen(client: Client, vmId: string): Promise<Serial> {
  const { ticket, path } = await client.api.vm.consoleTicket.mutate({ vmId, kind: 'serial' });
  const serial = await openSerial(ticket, path, client.cookie());
  assert.notEqual(typeof serial, 'number', `the serial console was refused (HTTP ${serial})`);
  return serial as Serial;
}

/** Types a shell command until its answer shows (the guest may still be booting at first). */
async function shellAnswers(serial: Serial, command: string, answer: RegExp): Promise<void> {
  await waitFor(
    `"${command}" to answer on the serial port`,
    async () => {
      if (answer.test(serial.output())) return true;
      serial.ws.send(Buffer.from(`${command}\r`));
      await new Promise((r) => setTimeout(r, 1000));
      return answer.test(serial.output());
    },
    60_000,
    0,
  );
}

let owner: Client;
let vmId = '';
let vmName = '';

before(async () => {
  owner = await admin();
  const created = await createTestVm(owner.api, 'ser');
  vmId = created.vmId;
  vmName = created.vm.name;
});

after(async () => {
  await waitTask(owner.api, (await owner.api.vm.forceOff.mutate({ vmId })).taskId);
  await waitTask(owner.api, (await owner.api.vm.delete.mutate({ vmId })).taskId);
});

test('a serial ticket opens the guest shell once; typed commands run', async () => {
  const { ticket, path } = await owner.api.vm.consoleTicket.mutate({ vmId, kind: 'serial' });
  const serial = await openSerial(ticket, path, owner.cookie());
  assert.notEqual(typeof serial, 'number');
  const s = serial as Serial;
  assert.equal(await s.ready, '{"t":"ready"}', 'the manager says when the host’s end is joined');
  // The command's text never contains its answer: 42 on its own line came from the shell.
  await shellAnswers(s, 'echo $((6*7))', /\n42\r?\n/);
  s.ws.close();
  await s.closed;
  assert.equal(await openSerial(ticket, path, owner.cookie()), 403, 'a used ticket is refused');
});

test('a VNC ticket still opens the screen, not the serial port', async () => {
  const { ticket, path } = await owner.api.vm.consoleTicket.mutate({ vmId });
  const vnc = await openSerial(ticket, path, owner.cookie());
  assert.notEqual(typeof vnc, 'number');
  const v = vnc as Serial;
  const greeting = await waitFor('the RFB greeting', async () => v.output() || null, 15_000);
  assert.match(greeting, /^RFB 003\.00\d\n/);
  v.ws.close();
});

test('a serial ticket expires, and is refused from a foreign Origin', async () => {
  const expiring = await owner.api.vm.consoleTicket.mutate({ vmId, kind: 'serial' });
  await new Promise((r) => setTimeout(r, (expiring.expiresInS + 1) * 1000));
  assert.equal(await openSerial(expiring.ticket, expiring.path, owner.cookie()), 403);
  const { ticket, path } = await owner.api.vm.consoleTicket.mutate({ vmId, kind: 'serial' });
  assert.equal(await openSerial(ticket, path, owner.cookie(), 'http://evil.example'), 403);
});

test('another user can neither get nor use a serial ticket of a VM that is not theirs', async () => {
  const username = uniqueName('ser')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')
    .slice(0, 20);
  await owner.api.user.create.mutate({ username, password: 'not-the-admin-pw', role: 'user' });
  const other = await loginAs(username, 'not-the-admin-pw');
  const denied = await rejection(other.api.vm.consoleTicket.mutate({ vmId, kind: 'serial' }));
  assert.equal(denied.code, 'NOT_FOUND');
  const { ticket, path } = await owner.api.vm.consoleTicket.mutate({ vmId, kind: 'serial' });
  assert.equal(await openSerial(ticket, path, other.cookie()), 403, 'another session holding the ticket');
  assert.equal(await openSerial(ticket, path, ''), 401, 'no session at all');
});

test('a second session takes the serial port over; the first is told why', async () => {
  const first = await mustOpen(owner, vmId);
  await shellAnswers(first, 'echo $((6*7))', /\n42\r?\n/);
  const second = await mustOpen(owner, vmId);
  assert.equal(await first.closed, TAKEN_OVER, 'the first session closes with "taken over"');
  // The port now answers the second session only.
  await shellAnswers(second, 'echo $((7*8))', /\n56\r?\n/);
  assert.doesNotMatch(first.output(), /\n56\r?\n/);
  second.ws.close();
  await second.closed;
});

test('serial sessions are in the event log: who, which VM, how long', async () => {
  // Earlier tests left console events of their own; only this session's count.
  const seen = new Set((await owner.api.event.list.query()).map((e) => e.id));
  const serial = await mustOpen(owner, vmId);
  await new Promise((r) => setTimeout(r, 1200));
  serial.ws.close();
  await serial.closed;
  const found = await waitFor(
    'the console events',
    async () => {
      const events = (await owner.api.event.list.query()).filter((e) => e.vmId === vmId && !seen.has(e.id));
      const opened = events.find((e) => e.kind === 'console.opened' && e.message.startsWith('Serial console'));
      const closed = events.find((e) => e.kind === 'console.closed' && e.message.startsWith('Serial console'));
      return opened && closed ? { opened, closed } : null;
    },
    10_000,
    200,
  );
  assert.match(found.opened.message, new RegExp(`^Serial console of VM ${vmName} opened by admin from `));
  assert.match(found.closed.message, /closed after \d+ s \(/);
  assert.ok(found.closed.at >= found.opened.at);
});
