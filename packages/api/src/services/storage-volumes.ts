/**
 * Volume operations, run as tasks on one host of the pool. That host's agent guards against its
 * own domains when it acts (agent handlers/storage.ts); every host of the pool (for a cluster
 * pool, every host of the cluster) is asked first whether one of its domains uses the volume, and
 * a delete or resize is refused while one of them cannot be asked. A domain that starts using the
 * volume on *another* host between that check and the operation is not caught: the window is one
 * round trip.
 */
import { join } from 'node:path';
import { type HostView, type StoragePoolRecord, hosts, templates } from '@vireo/db';
import { type AgentMethod, type AgentParams, VireoError } from '@vireo/protocol';
import { managerEnv } from '../env.ts';
import { hostAgent } from './agent-router.ts';
import { hostsOf, needPool, readHosts } from './storage-pools.ts';
import { startTask } from './tasks.ts';

/** Long enough for a full copy of a large disk. */
const COPY_TIMEOUT_MS = 60 * 60_000;

interface Actor {
  id: string;
}

export async function poolHosts(pool: StoragePoolRecord): Promise<{ runner: HostView; others: HostView[] }> {
  const mine = hostsOf(pool, await hosts.list());
  const runner = mine.find((h) => h.status === 'online');
  if (!runner) {
    throw new VireoError('HOST_OFFLINE', `No host of storage pool ${pool.name} is online.`, { object: 'host' });
  }
  return { runner, others: mine.filter((h) => h.id !== runner.id) };
}

/**
 * Checks, before the task starts, what every host of the pool reports about the volume, so the
 * common refusals come back at once; the runner's agent checks its own host again when it acts.
 * Refuses when a domain uses it (any use, or only as a running disk), when it is the base of
 * clones (for deletes), and while a host of the pool cannot be asked.
 */
export async function refuseIfUsed(
  pool: StoragePoolRecord,
  all: HostView[],
  name: string,
  refuse: { users: 'any' | 'running-disk'; dependants: boolean; minCapacity?: number },
): Promise<void> {
  const path = join(pool.path, name);
  let seen = false;
  for (const r of await readHosts(all, pool.name)) {
    if (r.error) {
      throw new VireoError(
        'HOST_OFFLINE',
        `Host ${r.host.name} holds pool ${pool.name} but cannot be asked whether it uses ${name} (${r.error}).`,
        { object: 'host' },
      );
    }
    const vol = (r.pools?.[0]?.volumes ?? []).find((v) => v.path === path);
    if (!vol) continue;
    seen = true;
    const users = vol.usedBy.filter((u) => refuse.users === 'any' || (u.via === 'disk' && u.state !== 'shutoff'));
    if (users.length > 0) {
      const names = users.map((u) => `${u.name} (${u.state}${u.via === 'backing' ? ', through a clone' : ''})`);
      throw new VireoError('CONFLICT', `Volume ${name} is in use on host ${r.host.name} by ${names.join(', ')}.`, {
        object: 'volume',
      });
    }
    if (refuse.dependants && vol.dependants.length > 0) {
      throw new VireoError(
        'CONFLICT',
        `Volume ${name} is the base of ${vol.dependants.length} linked clone(s) (${vol.dependants.join(', ')}); delete them first.`,
        { object: 'volume' },
      );
    }
    if (refuse.minCapacity !== undefined && refuse.minCapacity < vol.capacityBytes) {
      throw new VireoError('BAD_INPUT', `Volume ${name} can only grow (it is ${vol.capacityBytes} bytes).`, {
        object: 'volume',
      });
    }
  }
  if (!seen) throw new VireoError('NOT_FOUND', `No volume ${name} in pool ${pool.name}.`, { object: 'volume' });
}

/** Runs one agent request as a task on the pool's runner host. */
async function volumeTask<M extends AgentMethod>(
  user: Actor,
  runner: HostView,
  method: M,
  params: AgentParams<M>,
  done: string,
  timeoutMs = managerEnv().VIREO_DISK_OPERATION_TIMEOUT_S * 1000,
): Promise<{ taskId: string }> {
  const taskId = await startTask({ kind: method, hostId: runner.id, ownerId: user.id }, async (progress, taskId) => {
    const agent = await hostAgent(runner.id, runner.name);
    await agent.request(method, params, { taskId, timeoutMs, onProgress: progress });
    return done;
  });
  return { taskId };
}

export async function createVolume(
  user: Actor,
  input: { pool: string; name: string; format: 'qcow2' | 'raw'; capacityBytes: number },
): Promise<{ taskId: string }> {
  const { runner } = await poolHosts(await needPool(input.pool));
  return volumeTask(user, runner, 'volume.create', input, `Volume ${input.name} created in ${input.pool}.`);
}

export async function resizeVolume(
  user: Actor,
  input: { pool: string; name: string; capacityBytes: number },
): Promise<{ taskId: string }> {
  const pool = await needPool(input.pool);
  const { runner, others } = await poolHosts(pool);
  await refuseIfUsed(pool, [runner, ...others], input.name, {
    users: 'running-disk',
    dependants: false,
    minCapacity: input.capacityBytes,
  });
  return volumeTask(user, runner, 'volume.resize', input, `Volume ${input.name} resized.`);
}

export async function cloneVolume(
  user: Actor,
  input: {
    pool: string;
    name: string;
    source: { pool: string; name: string };
    mode: 'linked' | 'full';
    format: 'qcow2' | 'raw';
  },
): Promise<{ taskId: string }> {
  const [pool, sourcePool] = await Promise.all([needPool(input.pool), needPool(input.source.pool)]);
  const { runner } = await poolHosts(pool);
  // The runner must see the source too: the same pool, or one of its own/its cluster's.
  if (hostsOf(sourcePool, [runner]).length === 0) {
    throw new VireoError(
      'BAD_INPUT',
      `Pool ${sourcePool.name} is not available on host ${runner.name}, which holds ${pool.name}.`,
      { object: 'pool' },
    );
  }
  const params = {
    pool: input.pool,
    name: input.name,
    sourcePath: join(sourcePool.path, input.source.name),
    mode: input.mode,
    format: input.mode === 'linked' ? 'qcow2' : input.format,
  } as const;
  const what = input.mode === 'linked' ? 'Linked clone' : 'Copy';
  return volumeTask(
    user,
    runner,
    'volume.clone',
    params,
    `${what} ${input.name} of ${input.source.name} created.`,
    input.mode === 'full' ? COPY_TIMEOUT_MS : undefined,
  );
}

export async function deleteVolume(user: Actor, input: { pool: string; name: string }): Promise<{ taskId: string }> {
  const pool = await needPool(input.pool);
  // A template version's base stays while the version exists (versions are never changed).
  if (await templates.volumeIsBase(input.pool, input.name)) {
    throw new VireoError('CONFLICT', `Volume ${input.name} is a base of a template version; it cannot be deleted.`, {
      object: 'volume',
    });
  }
  const { runner, others } = await poolHosts(pool);
  await refuseIfUsed(pool, [runner, ...others], input.name, { users: 'any', dependants: true });
  return volumeTask(user, runner, 'volume.delete', input, `Volume ${input.name} deleted.`);
}
