/**
 * Login throttling. The policy, and why:
 *
 * - Per client address: at most ADDRESS_LIMIT failed logins (any username) in a sliding WINDOW.
 *   Then every login from that address is refused with 429 until its oldest failure leaves the
 *   window (Retry-After says when). One machine cannot guess quickly, and it only locks itself.
 * - Per account: at most ACCOUNT_LIMIT failed logins (from any address) in the same WINDOW. Then
 *   the account refuses logins from addresses that have never logged in to it, until its oldest
 *   failure leaves the window. This slows guessing spread over many addresses.
 * - An address that logged in to an account successfully in the last KNOWN_FOR is exempt from that
 *   account's limit (never from its own address limit). So an attacker guessing the admin's
 *   password from elsewhere cannot lock the admin out of a place they have used; from a new
 *   place the admin waits at most WINDOW after the guessing stops.
 * - While refused, the password is not even checked (a right password is refused too, or the
 *   throttle would still tell a guesser when they are right), and the refusal is not a failure.
 * - A success clears nothing: a guesser holding an account of their own could reset counters.
 *
 * State is in memory (one manager process) and bounded; a restart forgets it, which only errs
 * towards letting people in. IPv6 clients are counted by their /64, which one attacker holds
 * whole. Behind a reverse proxy every client has the proxy's address unless the admin declares
 * it trusted (VIREO_TRUSTED_PROXIES), see edge/client-info.ts.
 */
import { isIP } from 'node:net';
import { VireoError } from '@vireo/protocol';

export const LOGIN_WINDOW_MS = 15 * 60_000;
export const ADDRESS_LIMIT = 10;
export const ACCOUNT_LIMIT = 10;
const KNOWN_FOR_MS = 30 * 24 * 3600_000;
/** Caps on the tables, so a flood of made-up usernames or addresses cannot grow memory. */
const MAX_KEYS = 50_000;
const MAX_KNOWN_PER_ACCOUNT = 20;

/** A 429 that knows when to come back; the edge turns retryAfterS into a Retry-After header. */
export class LoginThrottledError extends VireoError {
  readonly retryAfterS: number;
  constructor(message: string, retryAfterS: number) {
    super('TOO_MANY_REQUESTS', message, { object: 'session' });
    this.retryAfterS = retryAfterS;
  }
}

/** The key an address is counted under: IPv4 as is, IPv6 by its /64 prefix. */
export function addressKey(address: string): string {
  if (isIP(address) !== 6) return address;
  const [head = '', tail] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups =
    tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  const prefix = groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, ''));
  return `${prefix.join(':')}::/64`;
}

/** Failure times per key, at most `limit` each (older ones cannot matter to a sliding window). */
class FailureLog {
  private readonly times = new Map<string, number[]>();
  constructor(private readonly limit: number) {}

  /** ms until the key may try again, or 0. */
  waitMs(key: string, now: number): number {
    const list = this.recent(key, now);
    if (list.length < this.limit) return 0;
    return (list[0] as number) + LOGIN_WINDOW_MS - now;
  }

  add(key: string, now: number): void {
    const list = this.recent(key, now);
    list.push(now);
    if (list.length > this.limit) list.shift();
    this.times.delete(key); // re-insert: the Map's order is then least recently active first
    this.times.set(key, list);
    if (this.times.size > MAX_KEYS) this.prune(now);
  }

  private recent(key: string, now: number): number[] {
    return (this.times.get(key) ?? []).filter((t) => t > now - LOGIN_WINDOW_MS);
  }

  /** Drops keys with no failure in the window, then the least recently active down to 90 %. */
  private prune(now: number): void {
    for (const [key, list] of this.times) {
      if (!list.some((t) => t > now - LOGIN_WINDOW_MS)) this.times.delete(key);
    }
    for (const key of this.times.keys()) {
      if (this.times.size <= MAX_KEYS * 0.9) break;
      this.times.delete(key);
    }
  }
}

export class LoginThrottle {
  private readonly byAddress = new FailureLog(ADDRESS_LIMIT);
  private readonly byAccount = new FailureLog(ACCOUNT_LIMIT);
  /** account → (address key → known until). */
  private readonly known = new Map<string, Map<string, number>>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Throws LoginThrottledError if this attempt must not even be checked. */
  check(username: string, address: string): void {
    const t = this.now();
    const addr = addressKey(address);
    const account = username.toLowerCase();
    const addressWait = this.byAddress.waitMs(addr, t);
    if (addressWait > 0) {
      throw new LoginThrottledError(
        `Too many failed logins from your address. Try again in ${describeWait(addressWait)}.`,
        Math.ceil(addressWait / 1000),
      );
    }
    const accountWait = this.isKnown(account, addr, t) ? 0 : this.byAccount.waitMs(account, t);
    if (accountWait > 0) {
      throw new LoginThrottledError(
        `Too many failed logins for this account. Try again in ${describeWait(accountWait)}, or from a place you logged in from before.`,
        Math.ceil(accountWait / 1000),
      );
    }
  }

  failed(username: string, address: string): void {
    const t = this.now();
    this.byAddress.add(addressKey(address), t);
    this.byAccount.add(username.toLowerCase(), t);
  }

  succeeded(username: string, address: string): void {
    const t = this.now();
    const account = username.toLowerCase();
    const places = this.known.get(account) ?? new Map<string, number>();
    const addr = addressKey(address);
    places.delete(addr);
    places.set(addr, t + KNOWN_FOR_MS);
    while (places.size > MAX_KNOWN_PER_ACCOUNT) places.delete(places.keys().next().value as string);
    this.known.set(account, places);
  }

  private isKnown(account: string, addr: string, t: number): boolean {
    return (this.known.get(account)?.get(addr) ?? 0) > t;
  }
}

function describeWait(ms: number): string {
  const s = Math.ceil(ms / 1000);
  return s < 90 ? `${s} s` : `${Math.ceil(s / 60)} min`;
}

/** The manager's one throttle. */
export const loginThrottle = new LoginThrottle();
