/**
 * `GET /api/audit/export.csv?username=&actionPrefix=&object=&result=&from=&to=`: the filtered
 * audit log as CSV, newest first, streamed in pages and capped at MAX_EXPORT rows (a last
 * comment line says when the cap cut it). Admins only, by session or API token (a read).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { audit } from '@vireo/db';
import { authFromRequest } from '../context.ts';
import { AUDIT_CSV_HEADER, auditCsvLine, csvLine } from '../services/audit/csv.ts';
import { auditFilterInput, toFilter } from '../services/audit/search.ts';
import { sendJson } from './http-guards.ts';

export const AUDIT_EXPORT_PATH = '/api/audit/export.csv';

export async function handleAuditExport(req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET') return sendJson(res, 405, { code: 'BAD_INPUT', message: 'Use GET.' });
  const found = await authFromRequest(req);
  if (!found) return sendJson(res, 401, { code: 'UNAUTHORIZED', message: 'Log in first.' });
  if (found.user.role !== 'admin')
    return sendJson(res, 403, { code: 'FORBIDDEN', message: 'This needs an administrator.' });
  const params = Object.fromEntries(new URL(req.url ?? '/', 'http://manager.invalid').searchParams);
  const parsed = auditFilterInput.safeParse(Object.fromEntries(Object.entries(params).filter(([, v]) => v !== '')));
  if (!parsed.success)
    return sendJson(res, 400, {
      code: 'BAD_INPUT',
      message: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join(' '),
    });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  res.writeHead(200, {
    'content-type': 'text/csv; charset=utf-8',
    'content-disposition': `attachment; filename="vireo-audit-${stamp}.csv"`,
    'cache-control': 'no-store',
  });
  res.write(csvLine(AUDIT_CSV_HEADER));
  let rows = 0;
  for await (const batch of audit.exportRows(toFilter(parsed.data))) {
    if (res.destroyed) return;
    const ok = res.write(batch.map(auditCsvLine).join(''));
    rows += batch.length;
    if (!ok) await new Promise((resolve) => res.once('drain', resolve));
  }
  if (rows >= audit.MAX_EXPORT) res.write(`# cut at ${audit.MAX_EXPORT} rows: narrow the filter for the rest\r\n`);
  res.end();
}
