import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, test } from 'node:test';

// The manager's env is read once: the receiver must exist before the module is loaded.
const received: { body: string; signature: string | undefined; at: number }[] = [];
let failFirst = 1;
const server = createServer((req: IncomingMessage, res) => {
  let body = '';
  req.on('data', (c) => {
    body += c;
  });
  req.on('end', () => {
    received.push({ body, signature: req.headers['x-vireo-signature'] as string | undefined, at: Date.now() });
    res.writeHead(failFirst-- > 0 ? 503 : 204).end();
  });
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
after(() => server.close());
const port = (server.address() as AddressInfo).port;
process.env.VIREO_ALERT_WEBHOOK_URL = `http://127.0.0.1:${port}/hook`;
process.env.VIREO_ALERT_WEBHOOK_SECRET = 'a-test-secret-of-32-characters!!';
const { sendAlertWebhook, signature } = await import('../src/services/alerts-webhook.ts');

const payload = (state: 'firing' | 'resolved') => ({
  alert: {
    id: 'a1',
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

test('a refused POST is retried after a pause, deliveries keep their order and are signed', async () => {
  const t0 = Date.now();
  sendAlertWebhook(payload('firing'));
  sendAlertWebhook(payload('resolved'));
  while (received.length < 3 && Date.now() - t0 < 10_000) await new Promise((r) => setTimeout(r, 50));
  assert.equal(received.length, 3, 'the failed first attempt, its retry, then the resolve');
  assert.ok((received[1]?.at ?? 0) - (received[0]?.at ?? 0) >= 900, 'backoff before the retry');
  const states = received.map((r) => JSON.parse(r.body).state);
  assert.deepEqual(states, ['firing', 'firing', 'resolved']);
  for (const r of received) assert.equal(r.signature, signature(r.body, 'a-test-secret-of-32-characters!!'));
  assert.match(received[0]?.signature ?? '', /^sha256=[0-9a-f]{64}$/);
});
