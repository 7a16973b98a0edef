/**
 * View-only console share links and console sessions in the audit log, on a real lab guest.
 *
 * The proof that a viewer cannot type: Ctrl+Alt+F<n> switches the guest's active virtual terminal
 * (read from /sys/class/tty/tty0/active over the serial shell). Sent as plain RFB KeyEvents through
 * an owner's console it switches; sent the same way through a share link's socket, by a raw RFB
 * client that ignores any view-only courtesy, it must not: the manager drops them.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import {
  admin,
  baseUrl,
  createTestVm,
  loginAs,
  rejection,
  uniqueName,
  waitTask,
  watchChanges,
} from '../support/api.ts';
import { guestRun, serialText } from '../support/guest-serial.ts';
import { hostOfDomain, type LabHost, waitFor } from '../support/lab.ts';

type Client = Awaited<ReturnType<typeof admin>>;

const wsBase = () => baseUrl().replace(/^http/, 'ws');

/** A minimal RFB 3.8 client over the console WebSocket: enough to view and to (try to) type. */
class RawRfb {
  private buf = Buffer.alloc(0);
  private waiter: (() => void) | null = null;
  readonly closed: Promise<{ code: number; reason: string }>;
  updates = 0;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data: Buffer) => {
      this.buf = Buffer.concat([this.buf, data]);
      this.waiter?.();
    });
    this.closed = new Promise((resolve) =>
      ws.once('close', (code, reason) => {
        resolve({ code, reason: reason.toString() });
        this.waiter?.();
      }),
    );
  }

  /** Opens the socket; resolves with the client, or the HTTP status the upgrade was refused with. */
  static open(url: string, headers: Record<string, string>, localAddress?: string): Promise<RawRfb | number> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers, localAddress });
      const timer = setTimeout(() => reject(new Error('no answer from the console socket in 15 s')), 15_000);
      ws.once('unexpected-response', (_req, res) => {
        clearTimeout(timer);
        resolve(res.statusCode ?? 0);
      });
      ws.once('open', () => {
        clearTimeout(timer);
        resolve(new RawRfb(ws));
      });
      ws.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  private async read(n: number, timeoutMs = 15_000): Promise<Buffer> {
    const deadline = Date.now() + timeoutMs;
    while (this.buf.length < n) {
      if (this.ws.readyState !== WebSocket.OPEN) throw new Error('the console socket closed');
      if (Date.now() > deadline) throw new Error(`waited for ${n} RFB bytes`);
      await new Promise<void>((r) => {
        this.waiter = r;
        setTimeout(r, 200);
      });
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  /** Version, security None, shared ClientInit, ServerInit: returns the desktop name. */
  async handshake(): Promise<string> {
    assert.match((await this.read(12)).toString('latin1'), /^RFB 003\.00\d\n$/);
    this.ws.send(Buffer.from('RFB 003.008\n', 'latin1'));
    const count = (await this.read(1)).readUInt8(0);
    const types = [...(await this.read(count))];
    assert.ok(types.includes(1), `the lab's VNC offers security None (offered ${types})`);
    this.ws.send(Buffer.from([1]));
    assert.equal((await this.read(4)).readUInt32BE(0), 0, 'security result OK');
    this.ws.send(Buffer.from([1]));
    const init = await this.read(24);
    return (await this.read(init.readUInt32BE(20))).toString('utf8');
  }

  /** Raw encoding only, then one full update request: resolves when a FramebufferUpdate arrives. */
  async requestUpdate(width = 16, height = 16): Promise<void> {
    this.ws.send(Buffer.from([2, 0, 0, 1, 0, 0, 0, 0]));
    this.ws.send(Buffer.from([3, 0, 0, 0, 0, 0, width >> 8, width & 255, height >> 8, height & 255]));
    const type = (await this.read(1)).readUInt8(0);
    assert.equal(type, 0, 'a FramebufferUpdate');
    this.updates++;
  }

  key(keysym: number, down: boolean): void {
    const m = Buffer.alloc(8);
    m.writeUInt8(4, 0);
    m.writeUInt8(down ? 1 : 0, 1);
    m.writeUInt32BE(keysym, 4);
    this.ws.send(m);
  }

  /** Ctrl+Alt+F<n> as plain KeyEvents (keysyms; QEMU maps them with its en-us keymap). */
  ctrlAltF(n: number): void {
    const [ctrl, alt, fn] = [0xffe3, 0xffe9, 0xffbe + n - 1];
    for (const k of [ctrl, alt, fn]) this.key(k, true);
    for (const k of [fn, alt, ctrl]) this.key(k, false);
  }

  async close(): Promise<void> {
    this.ws.close();
    await this.closed;
  }
}

let owner: Client;
let vmId = '';
let vmName = '';
let uuid = '';
let host: LabHost;

before(async () => {
  owner = await admin();
  const created = await createTestVm(owner.api, 'share');
  ({ vmId } = created);
  vmName = created.vm.name;
  uuid = created.vm.uuid;
  const found = await hostOfDomain(uuid);
  assert.ok(found, 'the VM runs on a lab host');
  host = found;
  await waitFor('the guest to be READY', async () => /READY/.test(serialText(uuid)), 90_000, 500);
  // Only a terminal that was opened once can be switched to: tty2 and tty3 exist from now on.
  assert.equal((await guestRun(host, uuid, ': >/dev/tty2; : >/dev/tty3; echo opened')).trim(), 'opened');
});

after(async () => {
  if (!vmId) return;
  await waitTask(owner.api, (await owner.api.vm.forceOff.mutate({ vmId })).taskId).catch(() => {});
  await waitTask(owner.api, (await owner.api.vm.delete.mutate({ vmId })).taskId).catch(() => {});
});

const activeVt = () => guestRun(host, uuid, 'cat /sys/class/tty/tty0/active').then((s) => s.trim());

async function ownerConsole(): Promise<RawRfb> {
  const { ticket, path } = await owner.api.vm.consoleTicket.mutate({ vmId });
  const rfb = await RawRfb.open(`${wsBase()}${path}?ticket=${encodeURIComponent(ticket)}`, {
    cookie: owner.cookie(),
    origin: baseUrl(),
  });
  assert.ok(rfb instanceof RawRfb, `the owner's console opens (got HTTP ${rfb})`);
  return rfb;
}

const openShared = (token: string, origin = baseUrl(), from?: string) =>
  RawRfb.open(`${wsBase()}/ws/console-share?token=${encodeURIComponent(token)}`, { origin }, from);

async function makeLink(minutes = 15): Promise<{ token: string; linkId: string }> {
  const made = await owner.api.consoleShare.create.mutate({ vmId, expiresInMinutes: minutes });
  assert.match(made.pagePath, /^\/share\/console#/);
  return { token: made.pagePath.split('#')[1] ?? '', linkId: made.link.id };
}

/** The audit entries of this VM's console sessions, newest first. */
async function consoleAudit() {
  return (await owner.api.audit.search.query({ actionPrefix: 'console.', object: vmId, limit: 200 })).entries;
}

let sharedLinkId = '';

test('a share link shows the screen, but the keys its viewer sends never reach the guest', async () => {
  const { token, linkId } = await makeLink();
  sharedLinkId = linkId;
  const shared = await openShared(token);
  assert.ok(shared instanceof RawRfb, `the share link opens the console (got HTTP ${shared})`);
  assert.match(await shared.handshake(), new RegExp(vmName), 'QEMU names the desktop after the VM');
  await shared.requestUpdate();
  assert.equal(await activeVt(), 'tty1');

  shared.ctrlAltF(3);
  await shared.requestUpdate(); // the keys went before this request: the stream is still alive
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal(await activeVt(), 'tty1', 'Ctrl+Alt+F3 through the share link switched nothing');

  // The same bytes through the owner's console do switch: the keys would have been seen.
  const mine = await ownerConsole();
  await mine.handshake();
  mine.ctrlAltF(2);
  await waitFor('tty2 to be active', async () => ((await activeVt()) === 'tty2' ? true : null), 15_000, 500);
  mine.ctrlAltF(1);
  await waitFor('tty1 to be active again', async () => ((await activeVt()) === 'tty1' ? true : null), 15_000, 500);
  await new Promise((r) => setTimeout(r, 1100)); // a session of at least a second
  await mine.close();

  const listed = await owner.api.consoleShare.list.query({ vmId });
  const link = listed.find((l) => l.id === linkId);
  assert.equal(link?.status, 'active');
  assert.equal(link?.createdByName, 'admin');
  assert.ok(link?.lastUsedAt, 'the link’s last use is recorded');

  // Revoking closes the open view within seconds, and the link is refused from then on.
  const t0 = Date.now();
  await owner.api.consoleShare.revoke.mutate({ linkId });
  const closed = await Promise.race([shared.closed, new Promise<null>((r) => setTimeout(() => r(null), 5000))]);
  assert.ok(closed, 'the shared view closed within 5 s of the revocation');
  assert.equal(closed.code, 4011);
  assert.ok(Date.now() - t0 < 5000);
  assert.equal(await openShared(token), 403, 'a revoked link is refused');
  assert.equal((await owner.api.consoleShare.list.query({ vmId })).find((l) => l.id === linkId)?.status, 'revoked');
});

test('console sessions leave audit entries: who, from where, how long, how they ended', async () => {
  const found = await waitFor(
    'the console sessions in the audit log',
    async () => {
      const entries = await consoleAudit();
      const ended = entries.filter((e) => e.action === 'console.session');
      const own = ended.find((e) => e.username === 'admin');
      const shared = ended.find((e) => e.input?.includes(sharedLinkId));
      return own && shared ? { entries, own, shared } : null;
    },
    10_000,
    300,
  );
  const { own, shared, entries } = found;
  assert.equal(own.objectType, 'vm');
  assert.equal(own.objectName, vmName);
  assert.equal(own.address, '127.0.0.1', 'the client address, as the audit log takes it');
  assert.ok(own.durationMs >= 1000, `the owner's session lasted over a second (${own.durationMs} ms)`);
  assert.equal(JSON.parse(own.input ?? '{}').endedBy, 'user');
  assert.equal(shared.username, null, 'a share link’s viewer has no account');
  const sharedInput = JSON.parse(shared.input ?? '{}');
  assert.equal(sharedInput.endedBy, 'revoked');
  assert.equal(sharedInput.viewOnly, true);
  assert.ok(shared.durationMs > 0);
  assert.match(shared.message ?? '', /through view-only share link .* \(made by admin\)/);
  // The opening of each session is an entry of its own (an open session is visible).
  assert.ok(entries.filter((e) => e.action === 'console.open').length >= 2);
});

test('only who may operate the VM makes links; a wrong origin or token is refused', async () => {
  const username = uniqueName('viewer')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')
    .slice(0, 20);
  await owner.api.user.create.mutate({ username, password: 'not-the-admin-pw', role: 'user' });
  const other = await loginAs(username, 'not-the-admin-pw');
  assert.equal(
    (await rejection(other.api.consoleShare.create.mutate({ vmId, expiresInMinutes: 15 }))).code,
    'NOT_FOUND',
  );
  assert.equal((await rejection(other.api.consoleShare.list.query({ vmId }))).code, 'NOT_FOUND');
  const tooShort = await rejection(owner.api.consoleShare.create.mutate({ vmId, expiresInMinutes: 5 }));
  assert.equal(tooShort.code, 'BAD_INPUT');

  const { token } = await makeLink();
  assert.equal(await openShared(token, 'http://evil.example'), 403);
  assert.equal(await openShared('not-a-token'), 403);
});

test('the public endpoint is rate limited per address', async () => {
  // From a loopback address of its own, so the throttle it earns does not refuse other tests'.
  const statuses: number[] = [];
  for (let i = 0; i < 35; i++) {
    const r = await openShared(`guess-${i}`, baseUrl(), '127.0.0.77');
    statuses.push(typeof r === 'number' ? r : 101);
  }
  assert.ok(statuses.includes(403), 'the first guesses are simply refused');
  assert.equal(statuses.at(-1), 429, 'then the address is throttled');
  assert.equal(await openShared('guess-other'), 403, 'another address is not');
});

test('a link stops working when its maker loses access to the VM, not only when revoked', async () => {
  const username = uniqueName('lender')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')
    .slice(0, 20);
  const user = await owner.api.user.create.mutate({ username, password: 'lender-password-1', role: 'user' });
  const binding = await owner.api.permission.grant.mutate({
    scopeKind: 'vm',
    scopeId: vmId,
    userId: user.id,
    role: 'operator',
  });
  const lender = await loginAs(username, 'lender-password-1');
  // A role on the VM alone shows the VM, not where it runs: no host name, no host paths, events
  // saying "a host" (administrators see all of it).
  assert.equal((await owner.api.vm.byId.query({ vmId })).hostName, host.name);
  assert.equal((await lender.api.vm.byId.query({ vmId })).hostName, null);
  assert.equal((await lender.api.vm.list.query({ limit: 500 })).rows.find((v) => v.id === vmId)?.hostName, null);
  for (const d of (await lender.api.vm.hardware.query({ vmId })).disks)
    assert.ok(!d.path?.includes('/'), `a file name, not a host path: ${d.path}`);
  const created = (await owner.api.event.listForVm.query({ vmId })).find((e) => e.message.includes(host.name));
  assert.ok(created, 'the admin reads the host in the VM events');
  const theirs = (await lender.api.event.listForVm.query({ vmId })).find((e) => e.id === created.id);
  assert.ok(theirs && !theirs.message.includes(host.name) && theirs.message.includes('a host'), theirs?.message);
  const made = await lender.api.consoleShare.create.mutate({ vmId, expiresInMinutes: 15 });
  const token = made.pagePath.split('#')[1] ?? '';
  const open = await openShared(token);
  assert.ok(open instanceof RawRfb, `the link opens while its maker may operate the VM (got ${open})`);
  open.ws.close();
  await owner.api.permission.revoke.mutate({ scopeKind: 'vm', scopeId: vmId, bindingId: binding.id });
  assert.equal(await openShared(token), 403, 'the maker lost the VM: so does its link');
  await owner.api.user.delete.mutate({ userId: user.id }).catch(() => {});
});

test("an open live stream stops showing a VM within seconds of its viewer's role being removed", async () => {
  const username = uniqueName('watcher')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')
    .slice(0, 20);
  const user = await owner.api.user.create.mutate({ username, password: 'watcher-password-1', role: 'user' });
  const binding = await owner.api.permission.grant.mutate({
    scopeKind: 'vm',
    scopeId: vmId,
    userId: user.id,
    role: 'viewer',
  });
  const watcher = await loginAs(username, 'watcher-password-1');
  const seen: string[] = [];
  const stop = watchChanges(watcher.api, (c) => {
    if (c.kind === 'vm' && c.vm.id === vmId) seen.push(c.vm.tags.join(','));
  });
  try {
    await new Promise((r) => setTimeout(r, 1000)); // the stream is up
    await owner.api.tag.add.mutate({ vmId, tag: 'seen-live' });
    await waitFor('the viewer to see the change', async () => seen.some((t) => t.includes('seen-live')), 10_000);
    await owner.api.permission.revoke.mutate({ scopeKind: 'vm', scopeId: vmId, bindingId: binding.id });
    await new Promise((r) => setTimeout(r, 3500)); // past the stream's 3 s re-read
    await owner.api.tag.add.mutate({ vmId, tag: 'after-revoke' });
    await owner.api.tag.add.mutate({ vmId, tag: 'after-revoke-2' });
    await new Promise((r) => setTimeout(r, 2000));
    assert.deepEqual(
      seen.filter((t) => t.includes('after-revoke')),
      [],
      'no change of the VM reaches the stream once the role is gone',
    );
  } finally {
    stop();
    await owner.api.tag.remove.mutate({ vmId, tag: 'seen-live' }).catch(() => {});
    await owner.api.tag.remove.mutate({ vmId, tag: 'after-revoke' }).catch(() => {});
    await owner.api.tag.remove.mutate({ vmId, tag: 'after-revoke-2' }).catch(() => {});
    await owner.api.user.delete.mutate({ userId: user.id }).catch(() => {});
  }
});
