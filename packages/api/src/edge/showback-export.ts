/**
 * `GET /api/showback/export.csv?from=&to=&step=&projectId=`: the showback table as CSV (fields
 * quoted and spreadsheet formulas defused as in the audit export). Whoever may see the report
 * (admins: all projects; project owners: theirs), by session or API token.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { VireoError } from '@vireo/protocol';
import { authFromRequest } from '../context.ts';
import { showbackRangeInput } from '../routers/showback.ts';
import { showbackCsv, showbackReport } from '../services/showback.ts';
import { sendJson } from './http-guards.ts';

export const SHOWBACK_EXPORT_PATH = '/api/showback/export.csv';

export async function handleShowbackExport(req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== 'GET') return sendJson(res, 405, { code: 'BAD_INPUT', message: 'Use GET.' });
  const found = await authFromRequest(req);
  if (!found) return sendJson(res, 401, { code: 'UNAUTHORIZED', message: 'Log in first.' });
  const params = Object.fromEntries(new URL(req.url ?? '/', 'http://manager.invalid').searchParams);
  const parsed = showbackRangeInput.safeParse(params);
  if (!parsed.success)
    return sendJson(res, 400, {
      code: 'BAD_INPUT',
      message: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join(' '),
    });
  try {
    const report = await showbackReport(found.user, parsed.data, parsed.data.projectId);
    const stamp = new Date().toISOString().slice(0, 10);
    res.writeHead(200, {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': `attachment; filename="vireo-showback-${stamp}.csv"`,
      'cache-control': 'no-store',
    });
    res.end(showbackCsv(report));
  } catch (err) {
    if (err instanceof VireoError && (err.code === 'NOT_FOUND' || err.code === 'FORBIDDEN'))
      return sendJson(res, err.code === 'NOT_FOUND' ? 404 : 403, { code: err.code, message: err.message });
    throw err;
  }
}
