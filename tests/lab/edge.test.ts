/**
 * The manager's edge against abuse, over raw HTTP and sockets as an attacker would send them:
 * upgrades nobody serves, huge bodies, huge batches, password guessing, cross-site forms, and
 * what the headers and error messages give away. Clients connect from several loopback
 * addresses (127.0.0.x) to act as different machines; 127.0.0.5 is the trusted proxy that
 * scripts/test.sh declares (VIREO_TRUSTED_PROXIES).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { type IncomingHttpHeaders, request } from 'node:http';
import { connect } from 'node:net';
import { before, test } from 'node:test';
import { admin, adminPassword, baseUrl, loginAs, rejection, uniqueName, defaultTemplate } from '../support/api.ts';

const url = new URL(baseUrl());
const port = Number(url.port);
const TRUSTED_PROXY = '127.0.0.5';

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function send(
  method: string,
  path: string,
  opts: { headers?: Record<string, string>; body?: string; from?: string } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port, method, path, headers: opts.headers, localAddress: opts.from },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          body += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

function login(username: string, password: string, from: string, headers: Record<string, string> = {}) {
  return send('POST', '/api/trpc/auth.login', {
    from,
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ username, password }),
  });
}

function managerRssKiB(): number {
  const pid = readFileSync(`${process.env.VIREO_TEST_STACK_DIR}/manager.pid`, 'utf8').trim();
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  if (!kib) throw new Error(`no VmRSS for the manager (pid ${pid})`);
  return Number(kib);
}

/**
 * Streams `total` bytes of JSON-looking filler from one reused 64 KiB buffer (never 100 MB in
 * memory), declared up front or chunked. Resolves with the answer and how much had been handed
 * to the socket when it came.
 */
function streamBody(path: string, total: number, declared: boolean): Promise<{ status: number; sentAtAnswer: number }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (declared) headers['content-length'] = String(total);
    const req = request({ host: url.hostname, port, method: 'POST', path, headers });
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let sent = 0;
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      resolve({ status: res.statusCode ?? 0, sentAtAnswer: sent });
      res.on('error', () => {}); // the manager cuts the upload off: expected
      res.resume();
    });
    req.on('error', (err) => {
      if (!answered) reject(new Error(`no answer after ${sent} bytes: ${err.message}`));
    });
    const pump = () => {
      while (!answered && sent < total) {
        sent += chunk.length;
        if (!req.write(chunk)) {
          req.once('drain', pump);
          return;
        }
      }
      if (sent >= total) req.end();
    };
    pump();
  });
}

let adminCookie = '';

before(async () => {
  // The suite's usual address logs in first, so it is a place the admin is known from.
  adminCookie = (await admin()).cookie();
});

test('an upgrade to a path nobody serves is answered and closed within 1 s', async () => {
  for (const path of ['/no-such-socket', '/_next/webpack-hmr', '/ws/agent/../nope']) {
    const t0 = Date.now();
    const { head, closedAfterMs } = await new Promise<{ head: string; closedAfterMs: number }>((resolve, reject) => {
      const socket = connect({ host: url.hostname, port });
      let head = '';
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`${path}: the socket was still open after 5 s; got ${JSON.stringify(head)}`));
      }, 5000);
      socket.on('data', (d) => {
        head += d.toString('latin1');
      });
      socket.on('close', () => {
        clearTimeout(timer);
        resolve({ head, closedAfterMs: Date.now() - t0 });
      });
      socket.on('error', () => {});
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: ${url.host}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n` +
          'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
      );
    });
    assert.match(head, /^HTTP\/1\.1 404 /, `${path} is answered`);
    assert.ok(closedAfterMs < 1000, `${path} closed after ${closedAfterMs} ms`);
  }
});

test('a 100 MB body gets 413 before it is read, and the manager does not grow', async () => {
  const total = 100 * 1024 * 1024;
  await send('GET', '/api/health'); // warm
  const before = managerRssKiB();
  for (const path of ['/api/trpc/auth.login', '/api/trpc/host.createEnrollmentToken', '/api/agent/enroll']) {
    for (const declared of [true, false]) {
      const { status, sentAtAnswer } = await streamBody(path, total, declared);
      const what = `${path} (${declared ? 'Content-Length' : 'chunked'})`;
      assert.equal(status, 413, what);
      assert.ok(sentAtAnswer < total / 4, `${what}: answered after ${sentAtAnswer} bytes were sent`);
    }
  }
  await new Promise((r) => setTimeout(r, 500));
  const grownKiB = managerRssKiB() - before;
  assert.ok(grownKiB < 8 * 1024, `the manager's RSS grew by ${grownKiB} KiB`);
  // And the edge still serves ordinary requests.
  assert.equal((await send('GET', '/api/trpc/auth.me')).status, 200);
});

test('a tRPC batch with too many calls is refused', async () => {
  const batch = (n: number) => `/api/trpc/${Array(n).fill('auth.me').join(',')}?batch=1&input=%7B%7D`;
  assert.equal((await send('GET', batch(20))).status, 200);
  assert.equal((await send('GET', batch(21))).status, 400);
  assert.equal((await send('GET', batch(200))).status, 400);
});

test('behind the trusted proxy the forwarded address is throttled, and HTTPS gives a __Host- Secure cookie', async () => {
  const via = (client: string, proto = 'http') => ({ 'x-forwarded-for': client, 'x-forwarded-proto': proto });
  for (let i = 0; i < 10; i++) {
    const r = await login(uniqueName('ghost'), 'nope', TRUSTED_PROXY, via('203.0.113.50'));
    assert.equal(r.status, 401);
  }
  assert.equal((await login('ghost-x', 'nope', TRUSTED_PROXY, via('203.0.113.50'))).status, 429);
  assert.equal((await login('ghost-x', 'nope', TRUSTED_PROXY, via('203.0.113.51'))).status, 401, 'another client');

  const plain = await login('admin', adminPassword(), '127.0.0.1', { 'x-forwarded-proto': 'https' });
  const plainCookie = plain.headers['set-cookie']?.[0] ?? '';
  assert.match(plainCookie, /^vireo_session=/, 'X-Forwarded-Proto from an untrusted client is ignored');
  assert.doesNotMatch(plainCookie, /Secure/);

  const secure = await login('admin', adminPassword(), TRUSTED_PROXY, via('198.51.100.20', 'https'));
  assert.equal(secure.status, 200);
  const cookie = secure.headers['set-cookie']?.[0] ?? '';
  assert.match(cookie, /^__Host-vireo_session=[^;]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=\d+; Secure$/);
  const pair = cookie.split(';')[0] as string;
  const me = (headers: Record<string, string>) =>
    send('GET', '/api/trpc/auth.me', { from: TRUSTED_PROXY, headers: { cookie: pair, ...headers } });
  assert.equal(JSON.parse((await me(via('198.51.100.20', 'https'))).body).result.data?.username, 'admin');
  assert.equal(JSON.parse((await me({})).body).result.data, null, 'the __Host- cookie counts only over HTTPS');
});

test('parallel logins cannot outrun the throttle: at most the limit is checked per address', async () => {
  const replies = await Promise.all(Array.from({ length: 20 }, () => login(uniqueName('burst'), 'nope', '127.0.0.7')));
  const statuses = replies.map((r) => r.status).sort();
  assert.deepEqual(statuses, [...Array<number>(10).fill(401), ...Array<number>(10).fill(429)], statuses.join(','));
});

test('password guessing is throttled, and the real admin still gets in', async () => {
  const attacker = '127.0.0.3';
  const known = await login('admin', adminPassword(), '127.0.0.2');
  assert.equal(known.status, 200, 'the admin uses 127.0.0.2');
  const deviceCookie = known.headers['set-cookie']?.find((c) => c.startsWith('vireo_device=')) ?? '';
  assert.match(deviceCookie, /^vireo_device=[^;]+; Path=\/; HttpOnly; SameSite=Lax; Max-Age=2592000$/);
  const device = deviceCookie.split(';')[0] as string;
  for (let i = 0; i < 10; i++) {
    assert.equal((await login('admin', `guess-${i}`, attacker)).status, 401, `guess ${i} is checked`);
  }
  const throttled = await login('admin', adminPassword(), attacker);
  assert.equal(throttled.status, 429, 'the right password is refused too while throttled');
  const retryAfter = Number(throttled.headers['retry-after']);
  assert.ok(Number.isInteger(retryAfter) && retryAfter > 0 && retryAfter <= 900, `Retry-After: ${retryAfter}`);
  assert.match(JSON.parse(throttled.body).error.message, /Too many failed logins/);
  const spoofed = await login('admin', adminPassword(), attacker, { 'x-forwarded-for': '203.0.113.9' });
  assert.equal(spoofed.status, 429, 'X-Forwarded-For from an untrusted client changes nothing');

  const fresh = await login('admin', adminPassword(), '127.0.0.4');
  assert.equal(fresh.status, 429, 'the attacked account waits out the window from a new address');
  assert.ok(Number(fresh.headers['retry-after']) > 0);
  assert.equal((await login('admin', adminPassword(), '127.0.0.2')).status, 200, 'the admin’s own address gets in');
  const travelling = await login('admin', adminPassword(), '127.0.0.6', { cookie: device });
  assert.equal(travelling.status, 200, 'the admin’s browser gets in from a new address with its device cookie');
  const forged = device.replace(/.(?=$)/, (ch) => (ch === 'A' ? 'B' : 'A'));
  assert.equal(
    (await login('admin', adminPassword(), '127.0.0.8', { cookie: forged })).status,
    429,
    'a forged one not',
  );
  assert.equal((await login('admin', adminPassword(), '127.0.0.1')).status, 200);
});

test('cross-site forms cannot act: tRPC mutations and enrollment want an allowed Origin and JSON', async () => {
  const sibling = `http://${url.hostname}:9999`;
  const forms = [
    {
      type: 'multipart/form-data; boundary=x',
      body: '--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--x--\r\n',
    },
    { type: 'application/x-www-form-urlencoded', body: 'a=1' },
    { type: 'text/plain', body: '{"token":"x"}' },
  ];
  for (const path of ['/api/trpc/host.createEnrollmentToken', '/api/agent/enroll']) {
    for (const form of forms) {
      for (const origin of [sibling, undefined]) {
        const headers: Record<string, string> = { cookie: adminCookie, 'content-type': form.type };
        if (origin) headers.origin = origin;
        const r = await send('POST', path, { headers, body: form.body });
        assert.ok([403, 415].includes(r.status), `${path} ${form.type} from ${origin ?? 'no origin'}: ${r.status}`);
        assert.doesNotMatch(r.body, /token/i, 'no token handed out');
      }
    }
    // JSON is no way around it from a foreign page: its Origin, or Sec-Fetch-Site, gives it away.
    const foreign: Record<string, string>[] = [
      { origin: sibling },
      { origin: 'null' },
      { 'sec-fetch-site': 'same-site' },
    ];
    for (const extra of foreign) {
      const headers = { cookie: adminCookie, 'content-type': 'application/json', ...extra };
      assert.equal((await send('POST', path, { headers, body: '{}' })).status, 403, JSON.stringify(extra));
    }
  }
  // The console's own page and scripts without a browser still work.
  const own: Record<string, string>[] = [{ origin: baseUrl() }, { 'sec-fetch-site': 'same-origin' }, {}];
  for (const extra of own) {
    const headers = { cookie: adminCookie, 'content-type': 'application/json', ...extra };
    const r = await send('POST', '/api/trpc/host.createEnrollmentToken', { headers, body: '{}' });
    assert.equal(r.status, 200, `${JSON.stringify(extra)}: ${r.body}`);
  }
});

test('security headers on pages and API answers; Next’s inline scripts carry the nonce', async () => {
  const page = await send('GET', '/login');
  assert.equal(page.status, 200);
  const csp = String(page.headers['content-security-policy'] ?? '');
  const nonce = /script-src 'self' 'nonce-([A-Za-z0-9+/=]+)'/.exec(csp)?.[1];
  assert.ok(nonce, `page CSP: ${csp}`);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.doesNotMatch(csp, /script-src[^;]*'unsafe-inline'/);
  const inline = [...page.body.matchAll(/<script(?![^>]*\ssrc=)([^>]*)>/g)].map((m) => m[1] ?? '');
  assert.ok(inline.length > 0, 'Next streams inline scripts');
  for (const attrs of inline) assert.match(attrs, new RegExp(`nonce="${nonce.replace(/[+/=]/g, '\\$&')}"`));
  const again = String((await send('GET', '/login')).headers['content-security-policy']);
  assert.notEqual(again, csp, 'a fresh nonce per response');

  for (const reply of [page, await send('GET', '/api/trpc/auth.me'), await send('GET', '/api/health')]) {
    assert.equal(reply.headers['x-content-type-options'], 'nosniff');
    assert.equal(reply.headers['referrer-policy'], 'same-origin');
    assert.match(String(reply.headers['content-security-policy']), /frame-ancestors 'none'/);
  }
});

test('a non-admin never learns host names or free memory from an error', async () => {
  const { api } = await admin();
  const hostNames = (await api.host.list.query()).flatMap((h) => [h.name, h.hostname]);
  assert.ok(hostNames.length > 0);
  const template = await defaultTemplate(api);
  assert.ok(template);
  const tooBig = { name: uniqueName('big'), templateId: template.id, vcpus: 1, memoryMiB: 1024 * 1024 };

  const seen = await rejection(api.vm.create.mutate(tooBig));
  assert.equal(seen.code, 'NO_HOST_CAPACITY');
  assert.ok(
    hostNames.some((n) => seen.message.includes(n)),
    `the admin keeps the full message: ${seen.message}`,
  );

  const username = uniqueName('user')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')
    .slice(0, 20);
  await api.user.create.mutate({ username, password: 'not-the-admin-pw', role: 'user' });
  const user = await loginAs(username, 'not-the-admin-pw');
  const hidden = await rejection(user.api.vm.create.mutate({ ...tooBig, name: uniqueName('big') }));
  assert.equal(hidden.code, 'NO_HOST_CAPACITY', 'the code stays, for the UI');
  for (const name of hostNames) assert.ok(!hidden.message.includes(name), `no host name: ${hidden.message}`);
  assert.doesNotMatch(hidden.message, /\d+ MiB/, `no capacity figures: ${hidden.message}`);
});
