/**
 * Login throttling. The policy, and why:
 *
 * - Per client address: at most ADDRESS_LIMIT failed logins (any username) in a sliding WINDOW.
 *   Then every login from that address is refused with 429 until its oldest failure leaves the
 *   window (Retry-After says when). One machine cannot guess quickly, and it only locks itself.
 * - Per account: at most ACCOUNT_LIMIT failed logins (from any address) in the same WINDOW. Then
 *   the account refuses logins from places it does not know, until its oldest failure leaves the
 *   window. This slows guessing spread over many addresses.
 * - Known places are exempt from the account's limit (never from their own address limit): a
 *   browser holding a valid device cookie for the account (device-cookie.ts: signed, 30 days,
 *   survives restarts and follows the laptop to a new network), and, in memory, an address that
 *   logged in to the account in the last KNOWN_FOR. So an attacker guessing the admin's
 *   password from elsewhere cannot lock the admin out of a browser or place they have used;
 *   from a new browser at a new place the admin waits at most WINDOW after the guessing stops.
 * - An attempt is counted as a failure the moment it passes the check, before the password is
 *   looked at, and credited back only if the password was right. check() and the counting are
 *   one synchronous step, so parallel attempts (a batch, many connections) cannot all pass while
 *   the count is still low: at most the limit can be in flight or failed per window.
 * - While refused, the password is not even checked (a right password is refused too, or the
 *   throttle would still tell a guesser when they are right), and the refusal is not a failure.
 * - A success clears nothing but its own attempt: a guesser holding an account of their own
 *   could otherwise reset counters.
 * - Tables are bounded without letting a flood reset a real account: accounts that exist are
 *   counted by user id in a table only they enter (so it is as big as the user list) and whose
 *   entries are never dropped while they hold failures in the window; made-up usernames (counted
 *   too, or a 429 would tell which names exist) and addresses go to capped tables that drop the
 *   least recently active entries when full. Dropping one of those only gives its own guesser
 *   another go from that address or at a name with no account behind it.
 *
 * State is in memory (one manager process); a restart forgets the counts, which only errs towards
 * letting people in. IPv6 clients are counted by their /64, which one attacker holds whole.
 * Behind a reverse proxy every client has the proxy's address unless the admin declares it
 * trusted (VIREO_TRUSTED_PROXIES), see edge/client-info.ts.
 */
import { isIP } from 'node:net';
import { VireoError } from '@vireo/protocol';

export const LOGIN_WINDOW_MS = 15 * 60_000;
export const ADDRESS_LIMIT = 10;
export const ACCOUNT_LIMIT = 10;
const KNOWN_FOR_MS = 30 * 24 * 3600_000;
/** Cap on the address and made-up-name tables, so a flood cannot grow memory (see the policy). */
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

/** One counted failure, or an attempt in flight that is counted as one until credited. */
interface Mark {
  t: number;
}

/** Failure marks per key. */
class FailureLog {
  private readonly marks = new Map<string, Mark[]>();
  /** evictActive: when full, may drop keys that still hold failures (never for real accounts). */
  constructor(
    private readonly limit: number,
    private readonly evictActive: boolean,
  ) {}

  /** ms until the key may try again, or 0. */
  waitMs(key: string, now: number): number {
    const list = this.recent(key, now);
    if (list.length < this.limit) return 0;
    // The window holds `limit` or more; a try is allowed once only limit-1 of them remain.
    return (list[list.length - this.limit] as Mark).t + LOGIN_WINDOW_MS - now;
  }

  add(key: string, now: number): Mark {
    const mark = { t: now };
    const list = this.recent(key, now);
    list.push(mark);
    // Only the newest `limit` matter to waitMs; a few more keep a credited mark from freeing a slot early.
    if (list.length > this.limit * 2) list.shift();
    this.marks.delete(key); // re-insert: the Map's order is then least recently active first
    this.marks.set(key, list);
    if (this.marks.size > MAX_KEYS) this.prune(now);
    return mark;
  }

  /** Credits an attempt back (the password was right). */
  remove(key: string, mark: Mark): void {
    const list = this.marks.get(key);
    const i = list?.indexOf(mark) ?? -1;
    if (i >= 0) list?.splice(i, 1);
  }

  private recent(key: string, now: number): Mark[] {
    return (this.marks.get(key) ?? []).filter((m) => m.t > now - LOGIN_WINDOW_MS);
  }

  /** Drops keys with no failure in the window, then (if allowed) the least recently active down to 90 %. */
  private prune(now: number): void {
    for (const [key, list] of this.marks) {
      if (!list.some((m) => m.t > now - LOGIN_WINDOW_MS)) this.marks.delete(key);
    }
    if (!this.evictActive) return;
    for (const key of this.marks.keys()) {
      if (this.marks.size <= MAX_KEYS * 0.9) break;
      this.marks.delete(key);
    }
  }
}

/** An attempt that passed check(): it counts as a failure unless handed to succeeded(). */
export interface LoginAttempt {
  readonly account: string;
  readonly address: string;
  /** Undoes this attempt's marks. */
  readonly credit: () => void;
}

export interface AttemptOptions {
  /**
   * The username names a real account, and `account` is its user id. Only then is it counted in
   * the table a flood of made-up names cannot touch; otherwise `account` is the name as typed.
   */
  exists?: boolean;
  /** The request carries a valid device cookie for this account (device-cookie.ts). */
  trustedDevice?: boolean;
}

export class LoginThrottle {
  private readonly byAddress = new FailureLog(ADDRESS_LIMIT, true);
  private readonly byAccount = new FailureLog(ACCOUNT_LIMIT, false);
  private readonly byUnknownName = new FailureLog(ACCOUNT_LIMIT, true);
  /** account → (address key → known until). */
  private readonly known = new Map<string, Map<string, number>>();

  constructor(private readonly now: () => number = Date.now) {}

  /**
   * Throws LoginThrottledError if this attempt must not even be checked; otherwise counts it as
   * a failure right away (synchronously, see the policy) and returns it for succeeded().
   */
  check(account: string, address: string, opts: AttemptOptions = {}): LoginAttempt {
    const t = this.now();
    const addr = addressKey(address);
    const accounts = opts.exists ? this.byAccount : this.byUnknownName;
    const addressWait = this.byAddress.waitMs(addr, t);
    if (addressWait > 0) {
      throw new LoginThrottledError(
        `Too many failed logins from your address. Try again in ${describeWait(addressWait)}.`,
        Math.ceil(addressWait / 1000),
      );
    }
    const exempt = opts.exists === true && (opts.trustedDevice === true || this.isKnown(account, addr, t));
    const accountWait = exempt ? 0 : accounts.waitMs(account, t);
    if (accountWait > 0) {
      throw new LoginThrottledError(
        `Too many failed logins for this account. Try again in ${describeWait(accountWait)}, or from a place you logged in from before.`,
        Math.ceil(accountWait / 1000),
      );
    }
    const addressMark = this.byAddress.add(addr, t);
    const accountMark = accounts.add(account, t);
    return {
      account,
      address: addr,
      credit: () => {
        this.byAddress.remove(addr, addressMark);
        accounts.remove(account, accountMark);
      },
    };
  }

  /** The password was right: the attempt is no failure, and its address becomes a known place. */
  succeeded(attempt: LoginAttempt): void {
    attempt.credit();
    const places = this.known.get(attempt.account) ?? new Map<string, number>();
    places.delete(attempt.address);
    places.set(attempt.address, this.now() + KNOWN_FOR_MS);
    while (places.size > MAX_KNOWN_PER_ACCOUNT) places.delete(places.keys().next().value as string);
    this.known.set(attempt.account, places);
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
