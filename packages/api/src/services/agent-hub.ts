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
import { events, hosts, type VmView, vms } from '@vireo/db';
import { AgentConnection } from './agent-connection.ts';
import { hostFromCredential } from './host-credentials.ts';
import { connections, domainCpu, domainCpuPercent } from './agent-registry.ts';
import { publish, publishStats } from './bus.ts';
import { applyEventFacts, applyHostFacts } from './domain-facts.ts';
import { sweepOrphanFiles } from './storage-reconcile.ts';
import { publishHost, publishVm, toVmView } from './views.ts';
import { isVmLocked } from './vm-locks.ts';
import { noteClaim, reconcileHostVms, settleUndefined } from './vm-reconcile.ts';

const HEARTBEAT_MS = 10_000;

/** Authenticates an agent's WebSocket upgrade; null means refuse with 401. */
export async function authenticateAgent(req: IncomingMessage): Promise<{ id: string; name: string } | null> {
  const header = req.headers.authorization ?? '';
  const match = /^Bearer (\S{32,256})$/.exec(header);
  if (!match?.[1]) return null;
  return hostFromCredential(match[1]);
}

export function attachAgent(ws: WebSocket, host: { id: string; name: string }): void {
  const conn = new AgentConnection(host.id, host.name, ws);
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
  // that follow it, so each handler waits for the previous one.
  let queue: Promise<void> = Promise.resolve();
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    queue = queue
      .then(() => handleMessage(conn, data.toString()))
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
      .then(() => markOffline(host.id, host.name))
      .catch((err) => console.error(`[agent ${host.name}] failed to mark the host offline:`, err));
  });
}

async function handleMessage(conn: AgentConnection, text: string): Promise<void> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    console.warn(`[agent ${conn.hostName}] sent a message that is not JSON; ignored`);
    return;
  }
  const parsed = agentMessageSchema.safeParse(json);
  if (!parsed.success) {
    console.warn(`[agent ${conn.hostName}] sent an invalid message; ignored: ${parsed.error.message.slice(0, 300)}`);
    return;
  }
  await apply(conn, parsed.data);
}

async function apply(conn: AgentConnection, msg: AgentMessage): Promise<void> {
  // Until its full state is accepted (or after it was replaced), a connection speaks for no one.
  if (msg.t !== 'state' && connections.get(conn.hostId) !== conn) return;
  switch (msg.t) {
    case 'state':
      return applyState(conn, msg);
    case 'domain':
      return applyDomainEvent(conn, msg);
    case 'stats':
      return applyStats(conn, msg);
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
  const { hostUuid, storage: _storage, ...facts } = msg.host;
  await hosts.upsertOnConnect({ ...facts, libvirtHostUuid: hostUuid, clusterId: host.clusterId });
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
  }
  await publishHost(conn.hostId);
  sweepOrphanFiles(conn, msg);
}

async function applyDomainEvent(conn: AgentConnection, msg: DomainEventMessage): Promise<void> {
  // One read of the VM serves the facts, the state and the published view (an event storm is
  // thousands of these); read again only if the facts changed the record.
  const found = await vms.byUuid(msg.uuid);
  const vm = (await applyEventFacts(conn, msg, found)) ? await vms.byUuid(msg.uuid) : found;
  if (!vm) return; // not a Vireo VM
  // Only the VM's own host speaks for it; another host's report is at most a conflict.
  if (vm.hostId !== conn.hostId) {
    if (msg.event !== 'checked') await noteClaim({ id: conn.hostId, name: conn.hostName }, msg.uuid, msg.domain);
    return;
  }
  // A `checked` report after a request ended is for a VM nobody works on; a task of ours sets
  // the state from its own result.
  if (msg.event === 'checked' && isVmLocked(vm.id)) return;
  // While a create or delete runs, its task sets the state from the result (events are still recorded).
  const taskOwnsState = vm.state === 'creating' || vm.state === 'deleting';
  let updated: VmView | null = null;
  if (msg.domain === null) {
    if (await settleUndefined(vm, { id: conn.hostId, name: conn.hostName })) return;
    if (!taskOwnsState) updated = (await vms.updateState(vm.uuid, 'unknown', 'undefined outside Vireo'))?.vm ?? null;
  } else {
    if (!taskOwnsState)
      updated = (await vms.updateState(vm.uuid, msg.domain.state, msg.domain.reason ?? null))?.vm ?? null;
    if (msg.domain.state !== 'running') domainCpu.delete(vm.uuid);
  }
  const state = msg.domain?.state ?? 'unknown';
  // `checked` is the agent re-reading a domain after a failed request, not a libvirt event.
  if (msg.event !== 'checked') {
    await events.add({
      severity: state === 'crashed' ? 'error' : 'info',
      kind: `vm.${msg.event}`,
      message: `VM ${vm.name} on ${conn.hostName}: ${msg.event}${msg.domain?.reason ? ` (${msg.domain.reason})` : ''}.`,
      vmId: vm.id,
      hostId: conn.hostId,
    });
  }
  // updateState re-read the row after writing it: publish that rather than read it a third time.
  if (updated) publish({ kind: 'vm', vm: toVmView(updated) });
  else await publishVm(vm.id);
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
}

async function markOffline(hostId: string, hostName: string): Promise<void> {
  if (connections.has(hostId)) return; // it reconnected meanwhile
  await hosts.setStatus(hostId, 'offline');
  await events.add({ severity: 'warning', kind: 'host.offline', message: `Host ${hostName} disconnected.`, hostId });
  await publishHost(hostId);
}
