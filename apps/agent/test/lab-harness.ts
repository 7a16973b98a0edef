/**
 * For agent lab tests: a fake manager speaking the real protocol, and the real agent
 * (apps/agent/src/main.ts) started against it inside a lab host's namespaces, as
 * scripts/lib/stack.sh starts the stack's agents. The fake manager listens on the lab's bridge
 * address, which every lab host reaches.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AGENT_CONSOLE_WS_PATH, AGENT_WS_PATH, ENROLL_PATH } from '@vireo/protocol';
import { type WebSocket, WebSocketServer } from 'ws';

export type Msg = { t: string; id?: string; ok?: boolean; event?: string; uuid?: string; [k: string]: unknown };

const CRED = 'k'.repeat(48);
const t0 = performance.now();
export const log = (...a: unknown[]) =>
  console.log(`[${String(Math.round(performance.now() - t0)).padStart(6)} ms]`, ...a);

export async function until<T>(
  what: string,
  ms: number,
  probe: () => T | undefined | Promise<T | undefined>,
  onTimeout = () => '',
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out: ${what}\n${onTimeout()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Accepts the agent's link and its console relays (their bytes are kept, all channels together). */
export async function startFakeManager(address: string) {
  const inbox: Msg[] = [];
  let agentWs: WebSocket | undefined;
  let consoleBytes = Buffer.alloc(0);
  const server = createServer((req, res) => {
    if (req.url === ENROLL_PATH && req.method === 'POST') {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ hostId: 'lab-host', credential: CRED }));
    } else res.writeHead(404).end();
  });
  const wss = new WebSocketServer({ noServer: true });
  server.on('upgrade', (req, socket, head) => {
    if (req.headers.authorization !== `Bearer ${CRED}`) return socket.destroy();
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path !== AGENT_WS_PATH && path !== AGENT_CONSOLE_WS_PATH) return socket.destroy();
    wss.handleUpgrade(req, socket, head, (ws) => {
      if (path === AGENT_CONSOLE_WS_PATH) {
        ws.on('message', (d) => {
          consoleBytes = Buffer.concat([consoleBytes, d as Buffer]);
        });
        return;
      }
      agentWs = ws;
      ws.on('message', (d) => inbox.push(JSON.parse(d.toString()) as Msg));
    });
  });
  await new Promise<void>((r) => server.listen(0, address, r));
  let n = 0;
  return {
    url: `http://${address}:${(server.address() as { port: number }).port}`,
    inbox,
    consoleBytes: () => consoleBytes,
    /** Sends a request on the agent's socket and waits for its reply. */
    async request(method: string, params: unknown, ms = 30_000, onTimeout?: () => string): Promise<Msg> {
      const id = `r${++n}`;
      agentWs!.send(JSON.stringify({ t: 'request', id, method, params }));
      return until(`reply to ${method}`, ms, () => inbox.find((m) => m.t === 'reply' && m.id === id), onTimeout);
    },
    close() {
      wss.close();
      server.close();
    },
  };
}

/**
 * The real agent inside the lab host whose keeper is hostPid (nsenter execs, so the child is the
 * agent itself); plain logs collected (and echoed with a prefix when echo is set).
 */
export async function spawnAgent(hostPid: number, managerUrl: string, storageDir: string, echo = false) {
  const args = ['-t', String(hostPid), '-m', '-n', '-u', `--wd=${process.cwd()}`, '--'];
  const stateDir = await mkdtemp(join(tmpdir(), 'vireo-agent-state-'));
  const agent: ChildProcess = spawn(
    'nsenter',
    [...args, process.execPath, '--import', 'tsx', 'apps/agent/src/main.ts'],
    {
      env: {
        ...process.env,
        VIREO_MANAGER_URL: managerUrl,
        VIREO_ENROLLMENT_TOKEN: 'lab-token-0123456789',
        VIREO_AGENT_STATE_DIR: stateDir,
        VIREO_VM_STORAGE_DIR: storageDir,
        VIREO_STATS_INTERVAL_MS: '2000',
        VIREO_LOG_FORMAT: 'plain',
      },
      stdio: ['ignore', 'inherit', 'pipe'],
    },
  );
  const lines: string[] = [];
  agent.stderr!.on('data', (d) => {
    for (const line of String(d).split('\n').filter(Boolean)) {
      lines.push(line);
      if (echo) console.log(`    agent| ${line}`);
    }
  });
  return {
    lines,
    stateDir,
    async stop() {
      // Already gone (a SIGKILLed agent has a signalCode and no exitCode): no exit event will come.
      if (agent.exitCode === null && agent.signalCode === null) {
        agent.kill('SIGTERM');
        await new Promise((r) => agent.once('exit', r));
      }
      // The agent's HA watchdog outlives it by design; it exits once its pid file is gone.
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}
