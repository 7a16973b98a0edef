/**
 * The manager's side of the agent link: authenticates agents, keeps one AgentConnection per
 * host, and applies what agents report (full state on connect, lifecycle events, stats) to the
 * inventory, publishing every change on the bus. State follows libvirt events; nothing polls.
 */
import type { IncomingMessage } from 'node:http';
import {
  type AgentMessage,
  agentMessageSchema,
  type DomainEventMessage,
  type StateMessage,
  type StatsMessage,
  PROTOCOL_VERSION,
} from '@vireo/protocol';
import type { WebSocket } from 'ws';
import { events, hosts, vms } from '@vireo/db';
import { AgentConnection } from './agent-connection.ts';
import { applyPoolsOnConnect } from './storage-pools.ts';
import { observeHostStorage } from './alerts-service.ts';
import { hostFromCredential } from './host-credentials.ts';
import { connections, domainCpu, domainCpuPercent } from './agent-registry.ts';
import { onControl, publishControl, publishStats } from './bus.ts';
import { selfId } from './cluster.ts';
import { applyHostFacts } from './domain-facts.ts';
import { applyDomainEvents } from './domain-events.ts';
import { reapplyToHost } from './networks.ts';
import { sweepAbandonedUploads, sweepStaleNetworks } from './sweeps.ts';
import { recordStats } from './stats-history.ts';
import { sweepOrphanFiles } from './storage-reconcile.ts';
import { publishHost } from './views.ts';
import { reconcileHostVms } from './vm-reconcile.ts';
import { autostartOnConnect } from './vm-autostart.ts';
import { configureOnConnect } from './ha/configure.ts';
import { applyHaMessage } from './ha/signals.ts';

const HEARTBEAT_MS = 10_000;

/** Authenticates an agent's WebSocket upgrade; null means refuse with 401. */
export async function authenticateAgent(req: IncomingMessage): Promise<{ id: string; name: string } | null> {
  const header = req.headers.authorization ?? '';
  const match = /^Bearer (\S{32,256})$/.exec(header);
  if (!match?.[1]) return null;
  return hostFromCredential(match[1]);
}

export function attachAgent(ws: WebSocket, host: { id: string; name: string }, address?: string): void {
  const conn = new AgentConnection(host.id, host.name, ws, address);
  // The connection is registered (and replaces an older one) only once its full state proved
  // the host's identity: a copied credential cannot knock the real agent off.

  let alive = true;
  ws.on('pong', () => {
    alive = true;
  });
  const heartbeat = setInterval(() => {
    if (!alive) {
      ws.terminate();
      return;
    }
    alive = false;
    ws.ping();
  }, HEARTBEAT_MS);

  // Messages are applied strictly in arrival order: a full state must land before the deltas
  // that follow it, so each handler waits for the previous one. What arrived while earlier work
  // ran is taken together, so consecutive domain events are applied as one run (domain-events.ts).
  let queue: Promise<void> = Promise.resolve();
  let pending: string[] = [];
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    pending.push(data.toString());
    if (pending.length > 1) return; // a drain is already queued and will take this one too
    queue = queue
      .then(() => {
        const texts = pending;
        pending = [];
        return handleMessages(conn, texts);
      })
      .catch((err) => {
        console.error(`[agent ${host.name}] failed to apply message:`, err);
      });
  });

  // ws reports protocol violations (bad frames, oversize payloads) as 'error', then closes.
  ws.on('error', (err) => console.warn(`[agent ${host.name}] connection error: ${err.message}`));
  ws.on('close', () => {
    clearInterval(heartbeat);
    conn.close('connection closed');
    if (connections.get(host.id) !== conn) return;
    connections.delete(host.id);
    queue = queue
      .then(() => releaseHost(host.id, host.name))
      .catch((err) => console.error(`[agent ${host.name}] failed to mark the host offline:`, err));
  });
}

/**
 * Parses and applies messages in order; runs of domain events go as one batch. A message (or
 * run) that fails is logged and the next ones still apply, as when each was applied alone.
 */
async function handleMessages(conn: AgentConnection, texts: string[]): Promise<void> {
  let run: DomainEventMessage[] = [];
  const guarded = async (what: () => Promise<void>) => {
    try {
      await what();
    } catch (err) {
      console.error(`[agent ${conn.hostName}] failed to apply message:`, err);
    }
  };
  const flush = async () => {
    if (run.length === 0) return;
    const batch = run;
    run = [];
    // As in apply(): until its full state is accepted (or once replaced), a connection speaks for no one.
    if (connections.get(conn.hostId) === conn) await guarded(() => applyDomainEvents(conn, batch));
  };
  for (const text of texts) {
    const msg = parseMessage(conn, text);
    if (!msg) continue;
    if (msg.t === 'domain') {
      run.push(msg);
      continue;
    }
    await flush();
    await guarded(() => apply(conn, msg));
  }
  await flush();
}

function parseMessage(conn: AgentConnection, text: string): AgentMessage | null {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    console.warn(`[agent ${conn.hostName}] sent a message that is not JSON; ignored`);
    return null;
  }
  const parsed = agentMessageSchema.safeParse(json);
  if (!parsed.success) {
    console.warn(`[agent ${conn.hostName}] sent an invalid message; ignored: ${parsed.error.message.slice(0, 300)}`);
    return null;
  }
  return parsed.data;
}

async function apply(conn: AgentConnection, msg: AgentMessage): Promise<void> {
  // Until its full state is accepted (or after it was replaced), a connection speaks for no one.
  if (msg.t !== 'state' && connections.get(conn.hostId) !== conn) return;
  switch (msg.t) {
    case 'state':
      return applyState(conn, msg);
    case 'domain':
      return applyDomainEvents(conn, [msg]);
    case 'stats':
      return applyStats(conn, msg);
    case 'ha':
      return applyHaMessage({ id: conn.hostId, name: conn.hostName }, msg);
    case 'reply':
      if (msg.ok) conn.settle(msg.id, msg.result);
      else conn.settle(msg.id, undefined, msg.error);
      return;
    case 'progress':
      conn.progress(msg.id, msg.progress, msg.message);
      return;
  }
}

async function applyState(conn: AgentConnection, msg: StateMessage): Promise<void> {
  if (msg.protocolVersion !== PROTOCOL_VERSION) {
    console.warn(`[agent ${conn.hostName}] speaks protocol ${msg.protocolVersion}, manager ${PROTOCOL_VERSION}`);
  }
  const host = await hosts.byId(conn.hostId);
  if (!host || (host.libvirtHostUuid && host.libvirtHostUuid !== msg.host.hostUuid)) {
    // A credential copied to another machine must not take over this host's identity.
    console.warn(
      `[agent ${conn.hostName}] reports libvirt host ${msg.host.hostUuid}, enrolled as ${host?.libvirtHostUuid}; refused`,
    );
    conn.close('host identity mismatch');
    return;
  }
  const previous = connections.get(conn.hostId);
  if (previous !== conn) {
    connections.set(conn.hostId, conn);
    previous?.close('replaced by a newer connection');
  }
  const { hostUuid, storage, ...facts } = msg.host;
  observeHostStorage(conn.hostId, storage);
  // The lease moves here (the newest connection wins, as within one manager): a manager still
  // holding an older connection of this host drops it when it hears this.
  await hosts.upsertOnConnect({
    ...facts,
    libvirtHostUuid: hostUuid,
    clusterId: host.clusterId,
    managerId: selfId(),
    address: conn.address ?? host.address,
  });
  if (previous !== conn) publishControl({ type: 'lease-taken', hostId: conn.hostId, managerId: selfId() });
  await reconcileHostVms({ id: conn.hostId, name: conn.hostName }, msg.domains, msg.inFlight);
  await applyHostFacts(conn, msg.domains);
  // A repeated state on the same connection is a resync (the agent may have missed events), not
  // a new connection.
  if (previous !== conn) {
    await events.add({
      severity: 'info',
      kind: 'host.online',
      message: `Host ${conn.hostName} connected.`,
      hostId: conn.hostId,
    });
    void applyPoolsOnConnect({ id: conn.hostId, name: conn.hostName, clusterId: host.clusterId });
    autostartOnConnect({ id: conn.hostId, name: conn.hostName }, msg.domains);
    // Networks and security groups made or changed while it was away (never holds up the state).
    void reapplyToHost(conn.hostId, conn.hostName)
      .then(() => sweepStaleNetworks(conn.hostId, conn.hostName))
      .catch((err) => console.warn(`[agent ${conn.hostName}] networks:`, err));
    void sweepAbandonedUploads(conn.hostId);
    void configureOnConnect({ id: conn.hostId, name: conn.hostName });
  }
  await publishHost(conn.hostId);
  sweepOrphanFiles(conn, msg);
}

async function applyStats(conn: AgentConnection, msg: StatsMessage): Promise<void> {
  await hosts.updateStats(conn.hostId, msg.host);
  await publishHost(conn.hostId);
  // One query per sample maps libvirt uuids to VM ids; VMs of this host missing from the
  // sample (not running) report null, so a stopped VM's CPU column clears. Only this host's own
  // VMs take its figures: a host cannot set the CPU shown for another host's VM.
  const hostVms = await vms.statesOnHost(conn.hostId);
  const own = new Set(hostVms.map((vm) => vm.uuid));
  for (const d of msg.domains) if (own.has(d.uuid)) domainCpu.set(d.uuid, d.cpuUsagePercent);
  const cpu = hostVms.map((vm) => ({
    vmId: vm.id,
    cpuUsagePercent: vm.state === 'running' ? domainCpuPercent(vm.uuid) : null,
  }));
  publishStats({ at: msg.at, hostId: conn.hostId, cpu });
  // History is a record, not the live view: a failed write is logged, never fails the sample.
  await recordStats(conn.hostId, msg, new Map(hostVms.map((vm) => [vm.uuid, vm.id]))).catch((err) =>
    console.error(`[agent ${conn.hostName}] stats history write failed:`, err),
  );
}

/** The agent left: offline, unless it is already connected again (here or to another manager). */
async function releaseHost(hostId: string, hostName: string): Promise<void> {
  if (connections.has(hostId)) return; // it reconnected meanwhile
  if (!(await hosts.releaseLease(hostId, selfId()))) return;
  await events.add({ severity: 'warning', kind: 'host.offline', message: `Host ${hostName} disconnected.`, hostId });
  await publishHost(hostId);
}

// Another manager took a host whose older connection is still here: that one speaks for no one.
onControl((message) => {
  if (message.type !== 'lease-taken' || message.managerId === selfId()) return;
  const conn = connections.get(message.hostId);
  if (!conn) return;
  connections.delete(message.hostId);
  conn.close('the host connected to another manager');
});
