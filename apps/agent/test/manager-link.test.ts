import assert from 'node:assert/strict';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { AGENT_WS_PATH, ENROLL_PATH, PROTOCOL_VERSION, type StateMessage } from '@vireo/protocol';
import { WebSocketServer, type WebSocket } from 'ws';
import { createLogger } from '../src/logger.ts';
import { ManagerLink } from '../src/manager-link.ts';

const HOST_UUID = '0b7e1f5c-7a1e-4f3b-9a53-0f3e2c1d4b5a';
const state: StateMessage = {
  t: 'state',
  protocolVersion: PROTOCOL_VERSION,
  agentVersion: 'test',
  host: {
    hostUuid: HOST_UUID,
    hostname: 'h1',
    cpuModel: 'x',
    cpuCount: 1,
    memoryBytes: 1,
    memoryFreeBytes: 1,
    libvirtVersion: '9.0.0',
    qemuVersion: '7.2.0',
    domainTypes: ['qemu'],
    storage: [],
  },
  domains: [],
};

async function fakeManager() {
  const enrolls: unknown[] = [];
  const server = createServer((req, res) => {
    if (req.method === 'POST' && req.url === ENROLL_PATH) {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        enrolls.push(JSON.parse(body));
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ hostId: 'host-1', credential: 'c'.repeat(40) }));
      });
      return;
    }
    res.statusCode = 404;
    res.end();
  });
  const wss = new WebSocketServer({ server, path: AGENT_WS_PATH });
  const sockets: { ws: WebSocket; auth: string | undefined; messages: unknown[] }[] = [];
  const waiters: (() => void)[] = [];
  wss.on('connection', (ws, req) => {
    const s = { ws, auth: req.headers.authorization, messages: [] as unknown[] };
    sockets.push(s);
    ws.on('message', (d) => {
      s.messages.push(JSON.parse(d.toString()));
      for (const w of waiters.splice(0)) w();
    });
    for (const w of waiters.splice(0)) w();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const until = async (cond: () => boolean) => {
    while (!cond())
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 50);
      });
  };
  return {
    url: `http://127.0.0.1:${port}`,
    enrolls,
    sockets,
    until,
    close: () => {
      wss.close();
      server.close();
    },
  };
}

test('enrolls once, sends state first on every (re)connect, answers bad messages with BAD_INPUT', async () => {
  const m = await fakeManager();
  const stateDir = await mkdtemp(join(tmpdir(), 'vireo-agent-'));
  const requests: unknown[] = [];
  const link = new ManagerLink({
    managerUrl: m.url,
    stateDir,
    enrollmentToken: 't'.repeat(20),
    logger: createLogger('error'),
    identity: async () => ({ hostUuid: HOST_UUID, hostname: 'h1' }),
    state: async () => state,
    onRequest: async (msg) => {
      requests.push(msg);
      return { t: 'reply', id: msg.id, ok: true, result: {} };
    },
    backoff: { initialMs: 20, maxMs: 100 },
  });
  link.start();
  try {
    await m.until(() => m.sockets[0]?.messages.length === 1);
    assert.deepEqual(m.enrolls, [{ token: 't'.repeat(20), hostUuid: HOST_UUID, hostname: 'h1' }]);
    assert.equal(m.sockets[0]!.auth, `Bearer ${'c'.repeat(40)}`);
    assert.equal((m.sockets[0]!.messages[0] as { t: string }).t, 'state');
    const cred = join(stateDir, 'credential.json');
    assert.equal((await stat(cred)).mode & 0o777, 0o600);
    assert.deepEqual(JSON.parse(await readFile(cred, 'utf8')), { hostId: 'host-1', credential: 'c'.repeat(40) });

    m.sockets[0]!.ws.send(JSON.stringify({ t: 'request', id: 'r1', method: 'vm.explode', params: {} }));
    m.sockets[0]!.ws.send('not json');
    await m.until(() => m.sockets[0]!.messages.length === 3);
    const [, bad1, bad2] = m.sockets[0]!.messages as { t: string; id: string; ok: boolean; error: { code: string } }[];
    assert.equal(bad1!.id, 'r1');
    assert.equal(bad1!.ok, false);
    assert.equal(bad1!.error.code, 'BAD_INPUT');
    assert.equal(bad2!.error.code, 'BAD_INPUT');

    m.sockets[0]!.ws.send(JSON.stringify({ t: 'request', id: 'r2', method: 'vm.start', params: { uuid: HOST_UUID } }));
    await m.until(() => m.sockets[0]!.messages.length === 4);
    assert.deepEqual(m.sockets[0]!.messages[3], { t: 'reply', id: 'r2', ok: true, result: {} });

    // The manager drops the connection: the agent comes back, state first, without re-enrolling.
    m.sockets[0]!.ws.terminate();
    await m.until(() => (m.sockets[1]?.messages.length ?? 0) >= 1);
    assert.equal((m.sockets[1]!.messages[0] as { t: string }).t, 'state');
    assert.equal(m.enrolls.length, 1);
    assert.equal(link.send({ t: 'progress', id: 'x', progress: 5 }), true);
  } finally {
    await link.stop();
    m.close();
  }
});

test('resync sends a freshly built full state on the open socket, and nothing when not connected', async () => {
  const m = await fakeManager();
  let built = 0;
  const link = new ManagerLink({
    managerUrl: m.url,
    stateDir: await mkdtemp(join(tmpdir(), 'vireo-agent-')),
    enrollmentToken: 't'.repeat(20),
    logger: createLogger('error'),
    identity: async () => ({ hostUuid: HOST_UUID, hostname: 'h1' }),
    state: async () => ({ ...state, agentVersion: `build-${++built}` }),
    onRequest: async (msg) => ({ t: 'reply', id: msg.id, ok: true, result: {} }),
    backoff: { initialMs: 20, maxMs: 100 },
  });
  assert.equal(await link.resync(), false);
  link.start();
  try {
    await m.until(() => link.connected);
    assert.equal(await link.resync(), true);
    await m.until(() => m.sockets[0]!.messages.length === 2);
    const versions = (m.sockets[0]!.messages as StateMessage[]).map((s) => `${s.t} ${s.agentVersion}`);
    assert.deepEqual(versions, ['state build-1', 'state build-2']);
  } finally {
    await link.stop();
    m.close();
  }
});

test('several managers: when the one it is connected to goes away, the agent moves to the next', async () => {
  const a = await fakeManager();
  const b = await fakeManager();
  const link = new ManagerLink({
    managerUrl: `${a.url}, ${b.url}`,
    stateDir: await mkdtemp(join(tmpdir(), 'vireo-agent-')),
    enrollmentToken: 't'.repeat(20),
    logger: createLogger('error'),
    identity: async () => ({ hostUuid: HOST_UUID, hostname: 'h1' }),
    state: async () => state,
    onRequest: async (msg) => ({ t: 'reply', id: msg.id, ok: true, result: {} }),
    backoff: { initialMs: 20, maxMs: 100 },
  });
  link.start();
  try {
    await a.until(() => a.sockets[0]?.messages.length === 1);
    assert.equal(link.currentWsBase, a.url.replace('http', 'ws'));
    assert.equal(b.sockets.length, 0);
    // Manager A dies: its sockets drop and it no longer listens.
    a.sockets[0]!.ws.terminate();
    a.close();
    await b.until(() => (b.sockets[0]?.messages.length ?? 0) >= 1);
    assert.equal((b.sockets[0]!.messages[0] as { t: string }).t, 'state');
    assert.equal(link.currentWsBase, b.url.replace('http', 'ws'));
    assert.equal(a.enrolls.length + b.enrolls.length, 1, 'enrolled once, at the first manager');
  } finally {
    await link.stop();
    b.close();
  }
});

test('several managers: enrollment skips a manager that cannot be reached', async () => {
  const b = await fakeManager();
  // Nothing listens on port 1 of loopback: the first manager is down.
  const link = new ManagerLink({
    managerUrl: `http://127.0.0.1:1,${b.url}`,
    stateDir: await mkdtemp(join(tmpdir(), 'vireo-agent-')),
    enrollmentToken: 't'.repeat(20),
    logger: createLogger('error'),
    identity: async () => ({ hostUuid: HOST_UUID, hostname: 'h1' }),
    state: async () => state,
    onRequest: async (msg) => ({ t: 'reply', id: msg.id, ok: true, result: {} }),
    backoff: { initialMs: 20, maxMs: 100 },
  });
  link.start();
  try {
    await b.until(() => (b.sockets[0]?.messages.length ?? 0) >= 1);
    assert.equal(b.enrolls.length, 1, 'enrolled at the second manager');
    assert.equal((b.sockets[0]!.messages[0] as { t: string }).t, 'state');
  } finally {
    await link.stop();
    b.close();
  }
});
