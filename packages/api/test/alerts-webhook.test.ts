import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';

// The manager's env is read once: the receiver must exist before the module is loaded.
const received: { body: string; signature: string | undefined; at: number }[] = [];
/** The first POST about alert a1 is refused. */
let refuseA1 = true;
const server = createServer((req: IncomingMessage, res) => {
  let body = '';
  req.on('data', (c) => {
    body += c;
  });
  req.on('end', () => {
    received.push({ body, signature: req.headers['x-vireo-signature'] as string | undefined, at: Date.now() });
    const refuse = refuseA1 && JSON.parse(body).alert.id === 'a1';
    if (refuse) refuseA1 = false;
    res.writeHead(refuse ? 503 : 204).end();
  });
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
after(() => server.close());
const port = (server.address() as AddressInfo).port;
process.env.VIREO_ALERT_WEBHOOK_URL = `http://127.0.0.1:${port}/hook`;
process.env.VIREO_ALERT_WEBHOOK_SECRET = 'a-test-secret-of-32-characters!!';
const { sendAlertWebhook, signature } = await import('../src/services/alerts-webhook.ts');

const payload = (state: 'firing' | 'resolved', id = 'a1') => ({
  alert: {
    id,
    ruleId: 'r1',
    ruleName: 'cpu',
    metric: 'cpu' as const,
    objectType: 'host' as const,
    objectId: 'h1',
    objectName: 'host-1',
    state,
    value: 95,
    message: 'Host host-1: CPU at or above 90 %.',
    firedAt: new Date(0).toISOString(),
    resolvedAt: null,
  },
  rule: { id: 'r1', name: 'cpu', metric: 'cpu', threshold: 90, forSeconds: 0 },
  object: { type: 'host' as const, id: 'h1', name: 'host-1' },
  state,
  value: 95,
  at: new Date(0).toISOString(),
});

test('a refused POST is retried after a pause, one alert’s deliveries keep their order and are signed', async () => {
  const t0 = Date.now();
  sendAlertWebhook(payload('firing'));
  sendAlertWebhook(payload('resolved'));
  sendAlertWebhook(payload('firing', 'a2'));
  while (received.length < 4 && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 50));
  const seen = received.map((r) => `${JSON.parse(r.body).alert.id}:${JSON.parse(r.body).state}`);
  assert.equal(received.length, 4, seen.join(' '));
  // a1's fire is refused and retried after the backoff; a2 does not wait for it; a1's resolve follows its fire.
  assert.deepEqual(
    seen.filter((x) => x.startsWith('a1')),
    ['a1:firing', 'a1:firing', 'a1:resolved'],
  );
  assert.ok(seen.indexOf('a2:firing') < 2, `a2 went out during a1's backoff: ${seen.join(' ')}`);
  const a1 = received.filter((r) => JSON.parse(r.body).alert.id === 'a1');
  assert.ok((a1[1]?.at ?? 0) - (a1[0]?.at ?? 0) >= 900, 'backoff before the retry');
  for (const r of received) assert.equal(r.signature, signature(r.body, 'a-test-secret-of-32-characters!!'));
  assert.match(received[0]?.signature ?? '', /^sha256=[0-9a-f]{64}$/);
});
