/**
 * Who is asking, as far as the edge can tell: the client's address and whether the browser
 * reached us over HTTPS. Forwarded headers are believed only from a proxy the admin declared
 * trusted (VIREO_TRUSTED_PROXIES); anyone else could write them.
 */
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { managerEnv } from '../env.ts';

export interface ClientInfo {
  /** The client's IP address (IPv4-mapped IPv6 written as IPv4). */
  address: string;
  /** Served over HTTPS, directly or through a trusted TLS proxy. */
  secure: boolean;
}

/** `::ffff:127.0.0.1` → `127.0.0.1`; IPv6 lower-cased. */
export function normalizeAddress(address: string): string {
  const a = address.trim().toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  return mapped?.[1] ?? a;
}

/** A header's comma-separated values, in order, whether it came once or several times. */
function headerValues(value: string | string[] | undefined): string[] {
  const joined = Array.isArray(value) ? value.join(',') : (value ?? '');
  return joined
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

/**
 * The client's address. Behind trusted proxies, X-Forwarded-For is read from the right: each
 * proxy appends the address it saw, so the first hop from the right that is not a trusted proxy
 * is the client (entries further left were written by the client and prove nothing).
 */
export function clientAddress(req: IncomingMessage, trustedProxies: readonly string[]): string {
  const peer = normalizeAddress(req.socket.remoteAddress ?? '');
  if (!trustedProxies.includes(peer)) return peer;
  const hops = headerValues(req.headers['x-forwarded-for']).map(normalizeAddress);
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i] as string;
    if (isIP(hop) === 0) return peer; // garbage: do not let it become a throttling key
    if (!trustedProxies.includes(hop)) return hop;
  }
  return hops[0] ?? peer;
}

/** HTTPS on our own socket, or a trusted proxy says the browser used HTTPS. */
export function isSecureRequest(req: IncomingMessage, trustedProxies: readonly string[]): boolean {
  if ((req.socket as Partial<TLSSocket>).encrypted) return true;
  if (!trustedProxies.includes(normalizeAddress(req.socket.remoteAddress ?? ''))) return false;
  // The nearest proxy's word counts: the last value, if a chain of proxies appended several.
  return headerValues(req.headers['x-forwarded-proto']).at(-1)?.toLowerCase() === 'https';
}

export function clientInfo(req: IncomingMessage): ClientInfo {
  const trusted = managerEnv().VIREO_TRUSTED_PROXIES;
  return { address: clientAddress(req, trusted), secure: isSecureRequest(req, trusted) };
}

/** Origins allowed to act on this manager: its own (by Host, either scheme) and the configured ones. */
export function isAllowedOrigin(req: IncomingMessage, origin: string, extraOrigins: readonly string[]): boolean {
  const host = req.headers.host;
  if (host && (origin === `http://${host}` || origin === `https://${host}`)) return true;
  return extraOrigins.includes(origin);
}

/** VIREO_ALLOWED_ORIGINS as a list. */
export function configuredOrigins(): string[] {
  return managerEnv()
    .VIREO_ALLOWED_ORIGINS.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
