import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { test } from 'node:test';
import { clientAddress, isSecureRequest } from '../src/edge/client-info.ts';
import { csrfRefusal, isJsonContentType } from '../src/edge/http-guards.ts';
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
