import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, request } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { test } from 'node:test';
import { clientAddress, isSecureRequest } from '../src/edge/client-info.ts';
import { csrfRefusal, isJsonContentType, readBodyLimited } from '../src/edge/http-guards.ts';
import { pageCsp } from '../src/edge/security-headers.ts';

function req(headers: Record<string, string>, remoteAddress = '127.0.0.1'): IncomingMessage {
  return {
    headers: { host: 'vireo.example:3000', ...headers },
    socket: { remoteAddress },
  } as unknown as IncomingMessage;
}

const json = { 'content-type': 'application/json' };

test('CSRF: own or configured origins with JSON pass', () => {
  assert.equal(csrfRefusal(req({ ...json, origin: 'http://vireo.example:3000' }), []), null);
  assert.equal(csrfRefusal(req({ ...json, origin: 'https://vireo.example:3000' }), []), null);
  assert.equal(csrfRefusal(req({ ...json, origin: 'https://ops.example' }), ['https://ops.example']), null);
  assert.equal(
    csrfRefusal(req({ 'content-type': 'application/json; charset=utf-8' }), []),
    null,
    'no Origin: a script',
  );
  assert.equal(csrfRefusal(req({ ...json, 'sec-fetch-site': 'same-origin' }), []), null);
});

test('CSRF: foreign origins, sibling ports, forms and cross-site fetches are refused', () => {
  const refused: Record<string, string>[] = [
    { ...json, origin: 'http://vireo.example:9999' },
    { ...json, origin: 'http://evil.example' },
    { ...json, origin: 'null' },
    { ...json, 'sec-fetch-site': 'same-site' },
    { ...json, 'sec-fetch-site': 'cross-site' },
    { 'content-type': 'multipart/form-data; boundary=x', origin: 'http://vireo.example:3000' },
    { 'content-type': 'application/x-www-form-urlencoded' },
    { 'content-type': 'text/plain' },
    {},
  ];
  for (const headers of refused) assert.ok(csrfRefusal(req(headers), []), JSON.stringify(headers));
  assert.equal(isJsonContentType('Application/JSON ; charset=utf-8'), true);
  assert.equal(isJsonContentType('application/jsonx'), false);
});

test('forwarded headers count only from a trusted proxy', () => {
  const forwarded = { 'x-forwarded-for': '198.51.100.1, 203.0.113.7', 'x-forwarded-proto': 'https' };
  assert.equal(clientAddress(req(forwarded, '192.0.2.1'), []), '192.0.2.1', 'untrusted: the socket counts');
  assert.equal(isSecureRequest(req(forwarded, '192.0.2.1'), []), false);
  assert.equal(clientAddress(req(forwarded, '::ffff:10.0.0.2'), ['10.0.0.2']), '203.0.113.7', 'rightmost hop');
  assert.equal(isSecureRequest(req(forwarded, '10.0.0.2'), ['10.0.0.2']), true);
  assert.equal(
    clientAddress(req({ 'x-forwarded-for': '203.0.113.7, 10.0.0.3' }, '10.0.0.2'), ['10.0.0.2', '10.0.0.3']),
    '203.0.113.7',
    'a chain of trusted proxies is skipped',
  );
  assert.equal(clientAddress(req({ 'x-forwarded-for': 'junk' }, '10.0.0.2'), ['10.0.0.2']), '10.0.0.2');
});

test('the page CSP allows only nonce-marked inline scripts and no framing', () => {
  const csp = pageCsp('abc123', false);
  assert.match(csp, /script-src 'self' 'nonce-abc123'(;|$)/);
  assert.doesNotMatch(csp, /unsafe-eval/);
  assert.match(csp, /frame-ancestors 'none'/);
  assert.match(pageCsp('abc123', true), /'unsafe-eval'/);
});

/** Uploads up to 100 MB from one reused buffer until the server answers. */
function upload(port: number, declared: boolean): Promise<{ status: number; sent: number }> {
  const total = 100 * 1024 * 1024;
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (declared) headers['content-length'] = String(total);
    const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers });
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let sent = 0;
    let answered = false;
    req.on('response', (res) => {
      answered = true;
      res.on('error', () => {});
      res.resume();
      resolve({ status: res.statusCode ?? 0, sent });
    });
    req.on('error', (err) => answered || reject(err));
    const pump = () => {
      while (!answered && sent < total) {
        sent += chunk.length;
        if (!req.write(chunk)) return void req.once('drain', pump);
      }
      if (!answered) req.end();
    };
    pump();
  });
}

test('an oversized body is refused with 413 after reading at most a little of it', async () => {
  const limit = 256 * 1024;
  const sockets: Socket[] = [];
  const server = createServer(async (req, res) => {
    sockets.push(req.socket);
    const body = await readBodyLimited(req, res, limit);
    if (body) res.end(`ok ${body.length}`);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  try {
    for (const declared of [true, false]) {
      const { status, sent } = await upload(port, declared);
      assert.equal(status, 413, declared ? 'Content-Length' : 'chunked');
      assert.ok(sent < 50 * 1024 * 1024, `answered after ${sent} bytes were sent`);
      const socket = sockets.at(-1) as Socket;
      await new Promise((r) => setTimeout(r, 200));
      assert.ok(socket.bytesRead < limit + 512 * 1024, `the server read ${socket.bytesRead} bytes`);
    }
  } finally {
    for (const s of sockets) s.destroy();
    server.close();
  }
});
