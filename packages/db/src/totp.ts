// A user's TOTP second factor (RFC 6238) and its one-time recovery codes. The checks that make a
// code good once (replay) or a recovery code good once are single conditional writes, so two
// managers (or two requests) racing with the same code cannot both win.
import { getDb } from './client.ts';

export interface TotpState {
  /** base32; set from enrolment start, also while not yet confirmed. */
  secret: string | null;
  enabledAt: Date | null;
  /** The 30 s step of the last accepted code. */
  lastStep: number | null;
  recoveryCodesLeft: number;
}

/** null when the user does not exist. */
export async function state(userId: string): Promise<TotpState | null> {
  const row = await getDb().user.findUnique({
    where: { id: userId },
    select: {
      totpSecret: true,
      totpEnabledAt: true,
      totpLastStep: true,
      _count: { select: { totpRecoveryCodes: { where: { usedAt: null } } } },
    },
  });
  return (
    row && {
      secret: row.totpSecret,
      enabledAt: row.totpEnabledAt,
      lastStep: row.totpLastStep,
      recoveryCodesLeft: row._count.totpRecoveryCodes,
    }
  );
}

/** Stores a fresh, not yet confirmed secret. False if TOTP is already on (or no such user). */
export async function begin(userId: string, secret: string): Promise<boolean> {
  const { count } = await getDb().user.updateMany({
    where: { id: userId, totpEnabledAt: null },
    data: { totpSecret: secret, totpLastStep: null },
  });
  return count === 1;
}

/**
 * Turns TOTP on with the pending `secret` (the one the user confirmed a code of, at `step`) and
 * replaces the recovery codes. False if the pending secret changed meanwhile or TOTP is on.
 */
export async function enable(userId: string, secret: string, step: number, recoveryHashes: string[]): Promise<boolean> {
  return getDb().$transaction(async (tx) => {
    const { count } = await tx.user.updateMany({
      where: { id: userId, totpEnabledAt: null, totpSecret: secret },
      data: { totpEnabledAt: new Date(), totpLastStep: step },
    });
    if (count !== 1) return false;
    await tx.totpRecoveryCode.deleteMany({ where: { userId } });
    await tx.totpRecoveryCode.createMany({ data: recoveryHashes.map((codeHash) => ({ userId, codeHash })) });
    return true;
  });
}

/** Records `step` as used, if it is later than the last accepted one. False: a replay (or TOTP is off). */
export async function acceptStep(userId: string, step: number): Promise<boolean> {
  const { count } = await getDb().user.updateMany({
    where: { id: userId, totpEnabledAt: { not: null }, OR: [{ totpLastStep: null }, { totpLastStep: { lt: step } }] },
    data: { totpLastStep: step },
  });
  return count === 1;
}

/** Spends a recovery code (by its hash). False if unknown or already used. */
export async function useRecoveryCode(userId: string, codeHash: string): Promise<boolean> {
  const { count } = await getDb().totpRecoveryCode.updateMany({
    where: { userId, codeHash, usedAt: null, user: { totpEnabledAt: { not: null } } },
    data: { usedAt: new Date() },
  });
  return count === 1;
}

/** Turns TOTP off and forgets the secret and recovery codes. Returns whether it was on. */
export async function disable(userId: string): Promise<boolean> {
  return getDb().$transaction(async (tx) => {
    const { count } = await tx.user.updateMany({
      where: { id: userId, totpEnabledAt: { not: null } },
      data: { totpSecret: null, totpEnabledAt: null, totpLastStep: null },
    });
    await tx.user.updateMany({ where: { id: userId }, data: { totpSecret: null, totpLastStep: null } });
    await tx.totpRecoveryCode.deleteMany({ where: { userId } });
    return count === 1;
  });
}

/** What the login's second step needs about a user (carries the password hash and the secret). */
export interface TotpLoginFacts {
  id: string;
  username: string;
  role: string;
  passwordHash: string;
  disabledAt: Date | null;
  secret: string | null;
  enabledAt: Date | null;
  lastStep: number | null;
}

export async function loginFacts(userId: string): Promise<TotpLoginFacts | null> {
  const row = await getDb().user.findUnique({
    where: { id: userId },
    select: {
      id: true,
      username: true,
      role: true,
      passwordHash: true,
      disabledAt: true,
      totpSecret: true,
      totpEnabledAt: true,
      totpLastStep: true,
    },
  });
  if (!row) return null;
  const { totpSecret, totpEnabledAt, totpLastStep, ...rest } = row;
  return { ...rest, secret: totpSecret, enabledAt: totpEnabledAt, lastStep: totpLastStep };
}
