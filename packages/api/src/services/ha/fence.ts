/**
 * Fencing through standard fence agents (issue 9): the `fence-agents` interface, as Pacemaker and
 * oVirt use it. The agent executable (fence_ipmilan, fence_redfish, the lab's fence_vireo_lab)
 * reads `name=value` lines on stdin (action=off|on|reboot|status|monitor, ip, username,
 * password, plug, ...). Exit code 0 is success; for `status`, 0 means on and 2 means off.
 *
 * The executable is found by its bare name in VIREO_FENCE_AGENT_DIRS only, and options go on
 * stdin, never on a command line (where `ps` would show a password). Whatever it prints is kept
 * for admins with every secret-looking option value blanked out.
 */
import { spawn } from 'node:child_process';
import { constants } from 'node:fs';
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { VireoError } from '@vireo/protocol';
import { managerEnv } from '../../env.ts';

export type FenceAction = 'off' | 'on' | 'reboot' | 'status';

export type FenceResult = {
  ok: boolean;
  /** For 'status' (and after 'off'/'on', when the agent reported it): the power state. */
  power?: 'on' | 'off';
  exitCode: number | null;
  /** What the agent printed (stdout and stderr, trimmed, passwords never included), for admins. */
  output: string;
  durationMs: number;
};

export const FENCE_AGENT_NAME = /^fence_[a-z0-9_]+$/;
export const FENCE_OPTION_NAME = /^[a-z_][a-z0-9_]*$/;
/** Option names whose values are secrets: never echoed back in `output`. */
const SECRET_OPTION = /pass|secret|token|key/;
const MAX_OUTPUT = 4_000;
const MAX_CAPTURE = 64 * 1024;

/** Throws BAD_INPUT unless the agent name and the options are safe to pass (settings API too). */
export function checkFenceSettings(agent: string, options: Readonly<Record<string, string>>): void {
  if (!FENCE_AGENT_NAME.test(agent)) {
    throw new VireoError('BAD_INPUT', `Fence agent "${agent.slice(0, 60)}" must be a bare name like fence_ipmilan.`, {
      object: 'host',
    });
  }
  for (const [name, value] of Object.entries(options)) {
    if (!FENCE_OPTION_NAME.test(name) || name === 'action') {
      throw new VireoError('BAD_INPUT', `Fence option "${name.slice(0, 60)}" is not allowed.`, { object: 'host' });
    }
    if (/[\r\n\0]/.test(value)) {
      throw new VireoError('BAD_INPUT', `Fence option "${name}" must be one line.`, { object: 'host' });
    }
  }
}

/** The agent's path in the first fence agent dir that has it executable, or null. */
export async function findFenceAgent(agent: string, dirs = fenceAgentDirs()): Promise<string | null> {
  for (const dir of dirs) {
    const path = join(dir, agent);
    try {
      await access(path, constants.X_OK);
      return path;
    } catch {}
  }
  return null;
}

export function fenceAgentDirs(): string[] {
  return managerEnv().VIREO_FENCE_AGENT_DIRS.split(':').filter(Boolean);
}

function redact(text: string, options: Readonly<Record<string, string>>): string {
  let out = text;
  for (const [name, value] of Object.entries(options)) {
    if (SECRET_OPTION.test(name) && value.length > 0) out = out.split(value).join('***');
  }
  return out;
}

interface RunOnce {
  exitCode: number | null;
  output: string;
  timedOut: boolean;
}

/** One run of the agent: options on stdin, killed (its whole process group) at the timeout. */
function runOnce(
  path: string,
  options: Readonly<Record<string, string>>,
  action: string,
  timeoutMs: number,
): Promise<RunOnce> {
  return new Promise((resolve) => {
    // Its own process group: a timeout kills what the agent started too (ssh, ipmitool, ...).
    // Only PATH: the manager's own secrets (database URL, session keys) are none of its business.
    const env: NodeJS.ProcessEnv = { ...(process.env.PATH ? { PATH: process.env.PATH } : {}) } as NodeJS.ProcessEnv;
    const child = spawn(path, [], { stdio: ['pipe', 'pipe', 'pipe'], detached: true, env });
    let captured = '';
    const take = (chunk: Buffer) => {
      if (captured.length < MAX_CAPTURE) captured += chunk.toString('utf8');
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        if (child.pid) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      resolve({ exitCode: null, output: `could not run ${path}: ${err.message}`, timedOut });
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ exitCode: timedOut ? null : code, output: captured, timedOut });
    });
    child.stdin.on('error', () => {}); // an agent that exits without reading its stdin
    const lines = [`action=${action}`, ...Object.entries(options).map(([n, v]) => `${n}=${v}`)];
    child.stdin.end(`${lines.join('\n')}\n`);
  });
}

/** Runs the fence agent `agent` (a bare name like 'fence_ipmilan', found in the fence agent dirs). */
export async function runFenceAgent(
  agent: string,
  options: Readonly<Record<string, string>>,
  action: FenceAction,
  timeoutMs = 60_000,
): Promise<FenceResult> {
  checkFenceSettings(agent, options);
  const started = performance.now();
  const done = (r: Omit<FenceResult, 'durationMs' | 'output'> & { output: string }): FenceResult => {
    const output = redact(r.output, options).trim();
    return {
      ...r,
      output: output.length > MAX_OUTPUT ? `${output.slice(0, MAX_OUTPUT)}…` : output,
      durationMs: Math.round(performance.now() - started),
    };
  };
  const path = await findFenceAgent(agent);
  if (!path) {
    return done({
      ok: false,
      exitCode: null,
      output: `Fence agent ${agent} was not found in ${fenceAgentDirs().join(', ')} (VIREO_FENCE_AGENT_DIRS).`,
    });
  }
  const deadline = started + timeoutMs;
  const remaining = () => Math.max(1, Math.round(deadline - performance.now()));
  const timeoutNote = (r: RunOnce) => (r.timedOut ? `\n(${agent} did not finish within ${timeoutMs} ms; killed)` : '');
  const powerOf = (r: RunOnce): 'on' | 'off' | undefined =>
    r.exitCode === 0 ? 'on' : r.exitCode === 2 ? 'off' : undefined;

  const first = await runOnce(path, options, action, remaining());
  if (action === 'status') {
    const power = powerOf(first);
    return done({
      ok: power !== undefined,
      ...(power ? { power } : {}),
      exitCode: first.exitCode,
      output: first.output + timeoutNote(first),
    });
  }
  if (first.exitCode !== 0) {
    return done({ ok: false, exitCode: first.exitCode, output: first.output + timeoutNote(first) });
  }
  // The action said it worked; the power state says whether it did.
  const check = await runOnce(path, options, 'status', remaining());
  const power = powerOf(check);
  const want = action === 'off' ? 'off' : 'on';
  const output = `${first.output.trim()}\n${check.output.trim()}${timeoutNote(check)}`;
  return done({
    ok: power === want,
    ...(power ? { power } : {}),
    exitCode: first.exitCode,
    output:
      power === want
        ? output
        : `${output}\n(${agent} ${action} exited 0, but the power state is ${power ?? 'unknown'})`,
  });
}
