/**
 * The post-login destination from `?next=`: only a path on this origin, anything else is `/`.
 *
 * Browsers read `/\evil.example` as `//evil.example` (a backslash is a slash in http URLs) and
 * drop tabs and newlines before parsing (`/\t/evil.example`), so checking for a leading `//`
 * alone lets both through. We refuse backslashes, control characters and whitespace outright,
 * in the value (and backslashes and control characters in its percent-decoded forms (a router may decode once more)), then let the
 * URL parser confirm the result stays on our origin.
 */
const PROBE_ORIGIN = 'http://vireo.invalid';
/** A backslash or a control character (tab and newline included); spaces too if `noSpace`. */
function hasForbidden(value: string, noSpace: boolean): boolean {
  for (const ch of value) {
    const code = ch.codePointAt(0) ?? 0;
    if (ch === '\\' || code < 0x20 || code === 0x7f || (noSpace && /\s/.test(ch))) return true;
  }
  return false;
}

function decodedForms(value: string): string[] | null {
  const forms = [value];
  let current = value;
  for (let i = 0; i < 3; i++) {
    let next: string;
    try {
      next = decodeURIComponent(current);
    } catch {
      return null; // malformed escapes: not a path we produced
    }
    if (next === current) break;
    forms.push(next);
    current = next;
  }
  return forms;
}

export function safeNextPath(next: string | null | undefined): string {
  if (!next || next.length > 2048) return '/';
  const forms = decodedForms(next);
  if (!forms) return '/';
  // As given: no whitespace at all; decoded: an encoded space is a fine path, a backslash is not.
  if (hasForbidden(next, true)) return '/';
  for (const form of forms) {
    if (!form.startsWith('/') || form.startsWith('//') || hasForbidden(form, false)) return '/';
  }
  let url: URL;
  try {
    url = new URL(next, PROBE_ORIGIN);
  } catch {
    return '/';
  }
  if (url.origin !== PROBE_ORIGIN) return '/';
  const path = `${url.pathname}${url.search}${url.hash}`;
  // Back to the login page would be a loop.
  if (url.pathname === '/login' || url.pathname.startsWith('/login/')) return '/';
  return path;
}
