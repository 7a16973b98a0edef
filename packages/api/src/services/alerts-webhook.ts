/**
 * Sends alert transitions to `VIREO_ALERT_WEBHOOK_URL`: one JSON POST per fire and per resolve,
 * never awaited by evaluation. One alert's POSTs go in order (its resolve never overtakes its
 * fire); different alerts do not wait for each other, so one alert's retries do not delay the
 * next. Each POST has a timeout and is retried with backoff; failures are logged and counted.
 */
import { createHmac } from 'node:crypto';
import { managerEnv } from '../env.ts';
import type { AlertView } from '../views.ts';
import { recordAlertWebhook } from './metrics.ts';

export type WebhookPayload = {
  alert: AlertView;
  rule: { id: string; name: string; metric: string; threshold: number; forSeconds: number };
  object: { type: 'host' | 'vm'; id: string; name: string };
  state: 'firing' | 'resolved';
  value: number;
  /** ISO time of the transition. */
  at: string;
};

const TIMEOUT_MS = 5_000;
/** Waits before the 2nd, 3rd and 4th attempt. */
const BACKOFF_MS = [1_000, 4_000, 15_000];
/** A receiver down for long must not grow memory without bound: beyond this, new ones are dropped. */
const MAX_QUEUED = 1_000;

export const SIGNATURE_HEADER = 'x-vireo-signature';

export function signature(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** Per alert id, the delivery of its latest POST: the next one for that alert waits for it. */
const chains = new Map<string, Promise<void>>();
let pending = 0;

/** Queues a POST; returns at once. Does nothing when no webhook is configured. */
export function sendAlertWebhook(payload: WebhookPayload): void {
  if (!managerEnv().VIREO_ALERT_WEBHOOK_URL) return;
  if (pending >= MAX_QUEUED) {
    recordAlertWebhook('dropped');
    console.warn(
      `[alerts] webhook backlog full (${MAX_QUEUED}); dropped ${payload.state} of alert ${payload.alert.id}`,
    );
    return;
  }
  pending += 1;
  const id = payload.alert.id;
  // deliver() never rejects: it counts and logs its own failures.
  const next = (chains.get(id) ?? Promise.resolve())
    .then(() => deliver(payload))
    .finally(() => {
      pending -= 1;
      if (chains.get(id) === next) chains.delete(id);
    });
  chains.set(id, next);
}

async function deliver(payload: WebhookPayload): Promise<void> {
  const { VIREO_ALERT_WEBHOOK_URL: url, VIREO_ALERT_WEBHOOK_SECRET: secret } = managerEnv();
  if (!url) return;
  const body = JSON.stringify(payload);
  const headers: Record<string, string> = { 'content-type': 'application/json', 'user-agent': 'vireo-alerts' };
  if (secret) headers[SIGNATURE_HEADER] = signature(body, secret);
  for (let attempt = 0; ; attempt++) {
    const problem = await post(url, body, headers);
    if (problem === null) {
      recordAlertWebhook('ok');
      return;
    }
    const wait = BACKOFF_MS[attempt];
    if (wait === undefined) {
      recordAlertWebhook('failed');
      console.error(
        `[alerts] webhook gave up on ${payload.state} of alert ${payload.alert.id} after ${attempt + 1} attempts: ${problem}`,
      );
      return;
    }
    recordAlertWebhook('retried');
    console.warn(`[alerts] webhook attempt ${attempt + 1} failed (${problem}); retrying in ${wait / 1000} s`);
    await new Promise((r) => setTimeout(r, wait));
  }
}

/** null when the receiver accepted it (2xx); else why not. */
async function post(url: string, body: string, headers: Record<string, string>): Promise<string | null> {
  try {
    const res = await fetch(url, {
      method: 'POST',
      body,
      headers,
      signal: AbortSignal.timeout(TIMEOUT_MS),
      redirect: 'manual',
    });
    await res.body?.cancel();
    return res.ok ? null : `HTTP ${res.status}`;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}
