/**
 * What an audit entry keeps of a request's input: a small JSON with every secret replaced by
 * "[redacted]" (passwords, tokens, fence agents' password options, anything named like one),
 * cut to MAX_INPUT_CHARS. Pure, so unit tests prove it.
 */

/** Keys whose values are never stored: matched case-insensitively anywhere in the key. */
const SECRET_KEY = /pass(word|wd|phrase)?|secret|token|credential|private.?key|api.?key|cookie|authori[sz]ation/i;
export const REDACTED = '[redacted]';
export const MAX_INPUT_CHARS = 2000;
const MAX_DEPTH = 6;
const MAX_ARRAY = 20;
const MAX_STRING = 200;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key);
}

/**
 * A copy of `value` without secrets. A fence agent's options are a list of `{ name, value }`
 * pairs (and `passwd=` style strings): a pair named like a secret has its value redacted too.
 */
export function redact(value: unknown, depth = 0): unknown {
  if (value === null || value === undefined) return value ?? null;
  if (typeof value === 'string') return value.length > MAX_STRING ? `${value.slice(0, MAX_STRING)}…` : value;
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (depth >= MAX_DEPTH) return '…';
  if (Array.isArray(value)) {
    const items = value.slice(0, MAX_ARRAY).map((v) => redact(v, depth + 1));
    if (value.length > MAX_ARRAY) items.push(`… ${value.length - MAX_ARRAY} more`);
    return items;
  }
  if (typeof value === 'object') {
    const obj = value as Record<string, unknown>;
    const named = typeof obj.name === 'string' && isSecretKey(obj.name) ? obj.name : null;
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(obj)) {
      if (isSecretKey(k) || (named && (k === 'value' || k === 'val'))) out[k] = REDACTED;
      else out[k] = redact(v, depth + 1);
    }
    return out;
  }
  return String(value);
}

/** `key=value` option strings (fence agents' `passwd=…`) lose their secret values. */
function redactOptionStrings(json: string): string {
  return json.replace(
    /((?:pass(?:word|wd)?|secret|token)[a-z_-]*\s*=)[^\s",]*/gi,
    (_m, key: string) => `${key}${REDACTED}`,
  );
}

/** The input as stored: redacted JSON, at most MAX_INPUT_CHARS, or null when there is none. */
export function auditInputJson(input: unknown): string | null {
  if (input === undefined || input === null) return null;
  let json: string;
  try {
    json = redactOptionStrings(JSON.stringify(redact(input)));
  } catch {
    return null;
  }
  if (json.length <= MAX_INPUT_CHARS) return json;
  return JSON.stringify({ truncated: true, head: json.slice(0, MAX_INPUT_CHARS - 40) });
}
