/**
 * The device cookie: "this browser logged in to this account before". A login that carries a
 * valid one is exempt from the account-wide login limit (never from its address's limit, see
 * login-throttle.ts), so an attacker guessing the admin's password from many addresses cannot
 * lock the admin out of a browser they have used: not after a manager restart, nor from a new
 * network.
 *
 * It is set at every successful login, for 30 days, HttpOnly, and holds up to MAX_ENTRIES
 * `userId.issuedAtS.mac` entries (one browser, a few accounts). The mac is an HMAC keyed with the
 * account's stored password hash: a secret that already lives only in the database, so nothing
 * new is stored, a cookie for one account says nothing about another, and changing the password
 * (say after a leak) voids every device cookie of that account. Whoever can read the hash could
 * forge one, but could then also guess the password offline, without any throttle.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const DEVICE_COOKIE = 'vireo_device';
export const DEVICE_TTL_S = 30 * 24 * 3600;
const MAX_ENTRIES = 4;
const ENTRY = /^[\w-]{1,64}\.\d{1,12}\.[\w-]{43}$/;

/** Over HTTPS `__Host-vireo_device`, like the session cookie (context.ts sessionCookieName). */
export function deviceCookieName(secure: boolean): string {
  return secure ? `__Host-${DEVICE_COOKIE}` : DEVICE_COOKIE;
}

/** What a device cookie is bound to: the user and their current password hash. */
export interface DeviceOwner {
  id: string;
  passwordHash: string;
}

function mac(owner: DeviceOwner, issuedS: number): string {
  return createHmac('sha256', owner.passwordHash).update(`vireo-device:v1:${owner.id}:${issuedS}`).digest('base64url');
}

function entries(value: string | undefined): string[] {
  return (value ?? '')
    .split('~')
    .filter((e) => ENTRY.test(e))
    .slice(0, MAX_ENTRIES);
}

/** Whether the cookie value holds a valid, unexpired entry for this user. */
export function deviceTrusted(value: string | undefined, owner: DeviceOwner, nowMs: number): boolean {
  for (const entry of entries(value)) {
    const [id, issued = '', sig = ''] = entry.split('.');
    const issuedS = Number(issued);
    if (id !== owner.id || issuedS * 1000 > nowMs + 60_000 || (issuedS + DEVICE_TTL_S) * 1000 <= nowMs) continue;
    const want = Buffer.from(mac(owner, issuedS));
    const got = Buffer.from(sig);
    if (got.length === want.length && timingSafeEqual(got, want)) return true;
  }
  return false;
}

/** The cookie value after a successful login: a fresh entry for this user, others' kept. */
export function deviceCookieValue(previous: string | undefined, owner: DeviceOwner, nowMs: number): string {
  const issuedS = Math.floor(nowMs / 1000);
  const others = entries(previous).filter((e) => e.split('.')[0] !== owner.id);
  return [`${owner.id}.${issuedS}.${mac(owner, issuedS)}`, ...others].slice(0, MAX_ENTRIES).join('~');
}
