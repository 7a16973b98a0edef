/**
 * Alerts in the manager: follows the bus (host changes for CPU, memory and online/offline; stats
 * samples for VM CPU) and the VM storage free space each agent reports in its full state, feeds
 * the in-memory evaluator, and persists only its transitions: open on fire, resolve when back
 * under the threshold. Each transition is published to browsers (`alert` change) and queued for
 * the webhook.
 *
 * Several managers: only the manager that evaluates a host (the one holding its agent's
 * connection, or its lease) may write that host's and its VMs' alerts: see `evaluatesHost`. The
 * database keeps one open alert per (rule, object) whatever happens (a unique `openKey`).
 */
import { type AlertRecord, type AlertRuleRecord, alerts, hosts, vms } from '@vireo/db';
import type { AlertView, HostView, LiveChange } from '../views.ts';
import { type AlertObject, AlertEvaluator, type Transition } from './alerts-evaluator.ts';
import { alertMessage, breaches, ruleCovers } from './alerts-rules.ts';
import { sendAlertWebhook } from './alerts-webhook.ts';
import { isHostConnected } from './agent-registry.ts';
import { publish, type StatsSample, subscribe, subscribeStats } from './bus.ts';
import { isClusterLeader, selfId } from './cluster.ts';
import { toHostView } from './views.ts';

const TICK_MS = 2_000;
/** After a manager start every host is offline until its agent reconnects: give them this long. */
const START_GRACE_MS = 30_000;

const evaluator = new AlertEvaluator();
let rules = new Map<string, AlertRuleRecord>();
/** Latest VM storage free % per host, from its agent's full state (sent on connect and on drift). */
const storageFree = new Map<string, number>();
/** Transitions are written one at a time, in order: a resolve never overtakes its fire. */
let writes: Promise<void> = Promise.resolve();
let started = false;

/**
 * Whether this manager evaluates (and writes the alerts of) this host and its VMs: the manager
 * holding the host's lease; a host nobody holds (offline) is judged by the cluster's leader (the
 * longest-running live manager), so one manager alone judges each host.
 */
function evaluatesHost(hostId: string): boolean {
  if (isHostConnected(hostId)) return true;
  const holder = hostHolders.get(hostId);
  return holder ? holder === selfId() : isClusterLeader();
}

/** Who holds each host, from the host changes every manager sees (several managers). */
const hostHolders = new Map<string, string | null>();

export function toAlertView(a: AlertRecord): AlertView {
  return {
    id: a.id,
    ruleId: a.ruleId,
    ruleName: a.ruleName,
    metric: a.metric,
    objectType: a.objectType,
    objectId: a.objectId,
    objectName: a.objectName,
    state: a.state,
    value: a.value,
    message: a.message,
    firedAt: a.firedAt.toISOString(),
    resolvedAt: a.resolvedAt?.toISOString() ?? null,
  };
}

/** Loads rules and open alerts, then follows the bus. Call once, at manager start. */
export async function startAlerts(): Promise<void> {
  if (started) return;
  started = true;
  await loadRules();
  for (const a of await alerts.listFiring()) {
    evaluator.markFiring(a.ruleId, { type: a.objectType, id: a.objectId }, a.value, a.firedAt.getTime());
  }
  subscribe(onChange);
  subscribeStats(onStats);
  setInterval(() => {
    for (const t of evaluator.tick(rules, Date.now())) enqueue(t);
  }, TICK_MS).unref();
  // Hosts whose agent did not come back after a restart are judged like any host going offline.
  setTimeout(() => {
    void hosts
      .list()
      .then((all) => {
        for (const h of all) onHost(toHostView(h));
      })
      .catch((err) => console.error('[alerts] could not check hosts after start-up:', err));
  }, START_GRACE_MS).unref();
}

async function loadRules(): Promise<void> {
  rules = new Map((await alerts.listRules()).map((r) => [r.id, r]));
}

/** The VM storage free space an agent reported in its full state. */
export function observeHostStorage(
  hostId: string,
  storage: readonly { capacityBytes: number; availableBytes: number }[],
): void {
  const percents = storage.filter((s) => s.capacityBytes > 0).map((s) => (s.availableBytes / s.capacityBytes) * 100);
  if (percents.length === 0) storageFree.delete(hostId);
  else storageFree.set(hostId, Math.min(...percents));
}

function onChange(change: LiveChange): void {
  switch (change.kind) {
    case 'host':
      onHost(change.host);
      return;
    case 'hostRemoved':
      storageFree.delete(change.hostId);
      objectGone({ type: 'host', id: change.hostId });
      return;
    case 'vmRemoved':
      objectGone({ type: 'vm', id: change.vmId });
      return;
    case 'alertRule':
    case 'alertRuleRemoved': {
      // Whoever changed the rule resolved its open alerts; every manager starts it afresh.
      const ruleId = change.kind === 'alertRule' ? change.rule.id : change.ruleId;
      evaluator.forgetRule(ruleId);
      serial(loadRules).catch((err) => console.error('[alerts] could not reload rules:', err));
      return;
    }
  }
}

function hostValue(rule: AlertRuleRecord, host: HostView): number | null {
  const offline = host.status !== 'online';
  switch (rule.metric) {
    case 'hostOffline':
      return offline ? 1 : 0;
    case 'cpu':
      return offline ? null : host.cpuUsagePercent;
    case 'memory':
      return offline || host.memoryBytes <= 0 ? null : (1 - host.memoryFreeBytes / host.memoryBytes) * 100;
    case 'storageFree':
      return offline ? null : (storageFree.get(host.id) ?? null);
  }
}

function onHost(host: HostView): void {
  hostHolders.set(host.id, host.managerId);
  if (host.status === 'enrolling' || !evaluatesHost(host.id)) return;
  const object: AlertObject = { type: 'host', id: host.id };
  const now = Date.now();
  for (const rule of rules.values()) {
    if (!ruleCovers(rule, object)) continue;
    const value = hostValue(rule, host);
    const t = evaluator.observe(rule, object, breaches(rule, value), value, now);
    if (t) enqueue(t);
  }
}

function onStats(sample: StatsSample): void {
  if (!evaluatesHost(sample.hostId)) return;
  const cpuRules = [...rules.values()].filter(
    (r) => r.metric === 'cpu' && r.enabled && (r.scope === 'vms' || r.scope === 'vm'),
  );
  if (cpuRules.length === 0) return;
  const now = Date.now();
  for (const { vmId, cpuUsagePercent } of sample.cpu) {
    const object: AlertObject = { type: 'vm', id: vmId };
    for (const rule of cpuRules) {
      if (!ruleCovers(rule, object)) continue;
      const t = evaluator.observe(rule, object, breaches(rule, cpuUsagePercent), cpuUsagePercent, now);
      if (t) enqueue(t);
    }
  }
}

function objectGone(object: AlertObject): void {
  const now = Date.now();
  for (const ruleId of evaluator.forgetObject(object))
    enqueue({ kind: 'resolve', ruleId, object, value: null, at: now });
}

/** Runs after every write queued before it; the queue goes on whether it fails or not. */
function serial<T>(run: () => Promise<T>): Promise<T> {
  const result = writes.then(run);
  writes = result.then(
    () => undefined,
    () => undefined,
  );
  return result;
}

function enqueue(t: Transition): void {
  serial(() => persist(t)).catch((err) =>
    console.error(`[alerts] could not ${t.kind} an alert of rule ${t.ruleId}:`, err),
  );
}

async function objectName(object: AlertObject): Promise<string> {
  const row = object.type === 'host' ? await hosts.byId(object.id) : await vms.byId(object.id);
  return row?.name ?? object.id;
}

async function persist(t: Transition): Promise<void> {
  const rule = rules.get(t.ruleId);
  const key = { ruleId: t.ruleId, objectType: t.object.type, objectId: t.object.id };
  if (t.kind === 'fire') {
    if (!rule) return;
    const name = await objectName(t.object);
    const opened = await alerts.open({
      ...key,
      objectName: name,
      value: t.value ?? 0,
      message: alertMessage(rule, { type: t.object.type, name }, t.value),
      firedAt: new Date(t.at),
    });
    // null: it is already open (an earlier run, or another manager); that alert stands.
    if (opened) announce(opened, rule);
    return;
  }
  const resolved = await alerts.resolve(key, { value: t.value ?? 0, at: new Date(t.at) });
  if (resolved) announce(resolved, rule);
}

/** Publishes an alert's transition to browsers and queues it for the webhook (HA's alerts too). */
export function announce(record: AlertRecord, rule: AlertRuleRecord | undefined = rules.get(record.ruleId)): void {
  const alert = toAlertView(record);
  publish({ kind: 'alert', alert });
  sendAlertWebhook({
    alert,
    rule: {
      id: record.ruleId,
      name: rule?.name ?? record.ruleName,
      metric: record.metric,
      threshold: rule?.threshold ?? 0,
      forSeconds: rule?.forSeconds ?? 0,
    },
    object: { type: record.objectType, id: record.objectId, name: record.objectName },
    state: record.state,
    value: record.value,
    at: (record.state === 'firing' ? record.firedAt : (record.resolvedAt ?? new Date())).toISOString(),
  });
}

/**
 * A rule was edited, disabled or is about to be deleted: its open alerts resolve now (with their
 * last value) and it is evaluated afresh from the next samples, by every manager.
 */
export function resolveRuleAlerts(rule: AlertRuleRecord): Promise<void> {
  return serial(async () => {
    for (const open of await alerts.listFiring({ ruleId: rule.id })) {
      const resolved = await alerts.resolve(
        { ruleId: rule.id, objectType: open.objectType, objectId: open.objectId },
        { value: open.value },
      );
      if (resolved) announce(resolved, rule);
    }
  });
}
