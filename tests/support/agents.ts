/**
 * Stopping, starting and watching the lab hosts' agents of the running test stack (through
 * scripts/stack-ctl.sh, by their PID files): for the crash tests, whose agents kill themselves at
 * test-only fault points (VIREO_AGENT_FAULT).
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Api } from './api.ts';
import { type LabHost, labHostsAllOnline, waitFor } from './lab.ts';

const exec = promisify(execFile);

export function stackDir(): string {
  const dir = process.env.VIREO_TEST_STACK_DIR;
  if (!dir) throw new Error('VIREO_TEST_STACK_DIR is not set: run through scripts/test.sh');
  return dir;
}

export const stackCtl = (env: Record<string, string>, ...args: string[]) =>
  exec('bash', ['scripts/stack-ctl.sh', ...args], { timeout: 90_000, env: { ...process.env, ...env } });

export async function agentPid(host: LabHost): Promise<number | null> {
  const text = await readFile(join(stackDir(), 'agents', host.name, 'agent.pid'), 'utf8').catch(() => '');
  return text.trim() ? Number(text.trim()) : null;
}

export function alive(pid: number | null): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Stops the agents of `hosts` (cleanly) and waits until the manager has them offline. */
export async function stopAgents(api: Api, hosts: LabHost[]): Promise<void> {
  for (const h of hosts) await stackCtl({}, 'stop-agent', h.name);
  const names = new Set(hosts.map((h) => h.name));
  await waitFor(
    'the agents offline',
    async () => (await api.host.list.query()).every((h) => !names.has(h.name) || h.status === 'offline'),
    15_000,
    100,
  );
}

/**
 * Starts every agent that is not running, with `env` (e.g. VIREO_AGENT_FAULT), and waits until
 * every lab host is online. Generous: on a loaded machine an agent takes a while to connect.
 */
export async function startAgents(api: Api, env: Record<string, string> = {}): Promise<void> {
  await stackCtl(env, 'start-agents');
  await waitFor('every host online', async () => labHostsAllOnline(await api.host.list.query()), 120_000, 200);
}

/** Waits until one of the agents of `hosts` has killed itself (at its fault point); returns its host. */
export async function waitForAgentDeath(hosts: LabHost[]): Promise<LabHost> {
  const pids = new Map<LabHost, number | null>();
  for (const h of hosts) pids.set(h, await agentPid(h));
  return waitFor(
    'an agent to kill itself at the fault point',
    async () => hosts.find((h) => !alive(pids.get(h) ?? null)),
    60_000,
    100,
  );
}
