/**
 * The HA watchdog process (src/ha/watchdog-main.ts) for real, on stand-in QEMU processes (a shell
 * whose argv[0] is qemu-system-x86_64 and whose arguments carry `-uuid`): it leaves them alone
 * while the agent pets it, kills only the HA VMs' ones once the agent is silent past the
 * self-fence time, notes them for the agent, and exits once its pid file no longer names it.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, utimesSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { alivePath, petWatchdog, takeWatchdogFenced, watchdogPidPath } from '../src/ha/watchdog.ts';

const HA_VM = '11111111-2222-4333-8444-555555555555';
const OTHER_VM = '11111111-2222-4333-8444-666666666666';
const children: ChildProcess[] = [];
after(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** A process that looks like libvirt's QEMU for a domain (argv[0] and `-uuid UUID`). */
function fakeQemu(uuid: string): ChildProcess {
  // `; :` keeps the shell from exec'ing sleep, which would replace this command line.
  const c = spawn('bash', ['-c', `exec -a qemu-system-x86_64 sh -c 'sleep 600; :' -uuid ${uuid}`], { stdio: 'ignore' });
  children.push(c);
  return c;
}

const exited = (c: ChildProcess) => c.exitCode !== null || c.signalCode !== null;
async function until(what: string, check: () => boolean, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('silent agent: the HA VMs’ QEMUs are killed and noted; petted, or not HA: left alone; no pid file: it exits', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'vireo-wd-'));
  try {
    await writeFile(
      join(dir, 'ha.json'),
      JSON.stringify({ intervalMs: 1000, selfFenceAfterMs: 2000, haVmUuids: [HA_VM] }),
    );
    petWatchdog(dir);
    const ha = fakeQemu(HA_VM);
    const other = fakeQemu(OTHER_VM);
    const wd = spawn(
      process.execPath,
      [...process.execArgv, join(import.meta.dirname, '../src/ha/watchdog-main.ts'), dir],
      {
        stdio: 'ignore',
      },
    );
    children.push(wd);
    await writeFile(watchdogPidPath(dir), `${wd.pid}\n`);

    // Petted every half second for 3.5 s (past the 2 s self-fence time): nothing is killed.
    for (let i = 0; i < 7; i++) {
      petWatchdog(dir);
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.ok(!exited(ha) && !exited(other), 'an agent that pets it keeps every VM running');

    // The agent goes silent (its last pet 3 s ago): the HA VM's QEMU is killed within a tick or two.
    const old = new Date(Date.now() - 3000);
    utimesSync(alivePath(dir), old, old);
    await until('the HA VM’s QEMU killed', () => exited(ha), 5000);
    assert.equal(ha.signalCode, 'SIGKILL');
    assert.ok(!exited(other), 'a VM that is not HA is not the watchdog’s');
    assert.deepEqual(await takeWatchdogFenced(dir), [HA_VM], 'noted for the agent to report');
    assert.deepEqual(await takeWatchdogFenced(dir), [], 'taken once');

    await rm(watchdogPidPath(dir));
    await until('the watchdog to exit', () => exited(wd), 5000);
    assert.equal(wd.exitCode, 0);
    assert.ok(existsSync(alivePath(dir)) && readFileSync(join(dir, 'ha.json'), 'utf8').includes(HA_VM));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
