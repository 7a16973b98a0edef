/** CSV for the audit export (RFC 4180): quoted when needed, spreadsheet formulas defused. */
import type { AuditRecord } from '@vireo/db';

export function csvField(value: unknown): string {
  if (value === null || value === undefined) return '';
  let s = value instanceof Date ? value.toISOString() : String(value);
  // A cell starting with = + - @ (or a tab/CR) is run as a formula by spreadsheets: CSV injection.
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function csvLine(values: readonly unknown[]): string {
  return `${values.map(csvField).join(',')}\r\n`;
}

export const AUDIT_CSV_HEADER = [
  'time',
  'user',
  'auth',
  'token',
  'action',
  'objectType',
  'objectId',
  'objectName',
  'address',
  'result',
  'errorCode',
  'message',
  'durationMs',
  'input',
] as const;

export function auditCsvLine(e: AuditRecord): string {
  return csvLine([
    e.at,
    e.username,
    e.authKind,
    e.tokenId,
    e.action,
    e.objectType,
    e.objectId,
    e.objectName,
    e.address,
    e.ok ? 'ok' : 'failed',
    e.errorCode,
    e.message,
    e.durationMs,
    e.input,
  ]);
}
