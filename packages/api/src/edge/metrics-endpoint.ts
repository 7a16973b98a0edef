/**
 * `/metrics` for Prometheus: GET only, `Authorization: Bearer <VIREO_METRICS_TOKEN>` compared in
 * constant time. Without the setting the endpoint does not exist (404). Also the tRPC latency
 * instrumentation, which belongs to the edge because that is where tRPC requests are dispatched.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { managerEnv } from '../env.ts';
import { appRouter } from '../root.ts';
import { collectMetrics, OTHER_PROCEDURE, recordTrpcRequest } from '../services/metrics.ts';
import { formatMetrics, METRICS_CONTENT_TYPE } from '../services/metrics-format.ts';
import { sendJson, tokenMatches } from './http-guards.ts';
import { setApiSecurityHeaders } from './security-headers.ts';

export const METRICS_PATH = '/metrics';

export async function handleMetrics(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const token = managerEnv().VIREO_METRICS_TOKEN;
  if (!token) return sendJson(res, 404, { code: 'NOT_FOUND', message: 'Not found.' });
  if (req.method !== 'GET') return sendJson(res, 405, { code: 'BAD_INPUT', message: 'Use GET.' }, { allow: 'GET' });
  if (!tokenMatches(req.headers.authorization, token)) {
    setApiSecurityHeaders(res);
    res.writeHead(401, { 'www-authenticate': 'Bearer' });
    res.end();
    return;
  }
  const body = formatMetrics(await collectMetrics());
  setApiSecurityHeaders(res);
  res.writeHead(200, { 'content-type': METRICS_CONTENT_TYPE });
  res.end(body);
}

// At run time tRPC keeps every procedure under its dotted path here (its type says nested).
const procedureTypes = new Map(
  Object.entries(appRouter._def.procedures as unknown as Record<string, { _def: { type: string } }>).map(
    ([path, p]) => [path, p._def.type],
  ),
);

/**
 * The procedures a tRPC request calls, as metric labels: names not in the router become
 * `other` (the path is the client's to choose), and subscriptions are left out (their
 * duration is the stream's lifetime, not latency). Batches name several, comma-separated.
 */
export function procedureLabels(pathAfterPrefix: string): string[] {
  let joined: string;
  try {
    joined = decodeURIComponent(pathAfterPrefix);
  } catch {
    joined = '';
  }
  return joined.split(',').flatMap((path) => {
    const type = procedureTypes.get(path);
    if (type === 'subscription') return [];
    return [type ? path : OTHER_PROCEDURE];
  });
}

/** Records the request's duration, by procedure, once its response has finished (or was cut). */
export function timeTrpcRequest(res: ServerResponse, pathAfterPrefix: string): void {
  const labels = procedureLabels(pathAfterPrefix);
  if (labels.length === 0) return;
  const t0 = process.hrtime.bigint();
  res.once('close', () => recordTrpcRequest(labels, Number(process.hrtime.bigint() - t0) / 1e9));
}
