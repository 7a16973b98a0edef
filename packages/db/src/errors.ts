// Database errors with stable codes. Prisma errors are translated here, once;
// callers check codes (DbError.is / DbConflictError.is), never message text.
import { Prisma } from './generated/client.ts';

export type DbErrorCode = 'DB_CONFLICT' | 'DB_NOT_FOUND';

export class DbError extends Error {
  constructor(
    readonly code: DbErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }

  static is(err: unknown, code?: DbErrorCode): err is DbError {
    return err instanceof DbError && (code === undefined || err.code === code);
  }
}

/** A unique constraint was violated; `fields` names the colliding columns (e.g. ["name"]). */
export class DbConflictError extends DbError {
  constructor(
    readonly model: string | undefined,
    readonly fields: string[],
    options?: { cause?: unknown },
  ) {
    super('DB_CONFLICT', `${model ?? 'Record'} with this ${fields.join(', ') || 'key'} already exists`, options);
  }

  static override is(err: unknown): err is DbConflictError {
    return err instanceof DbConflictError;
  }
}

/** The row an update/delete targeted does not exist. */
export class DbNotFoundError extends DbError {
  constructor(
    readonly model: string | undefined,
    options?: { cause?: unknown },
  ) {
    super('DB_NOT_FOUND', `${model ?? 'Record'} not found`, options);
  }

  static override is(err: unknown): err is DbNotFoundError {
    return err instanceof DbNotFoundError;
  }
}

type Meta = Record<string, unknown> | undefined;

// With a driver adapter, P2002 carries the columns under
// meta.driverAdapterError.cause.constraint.fields; the native engine used meta.target.
function conflictFields(meta: Meta): string[] {
  const target = meta?.target;
  if (Array.isArray(target)) return target.map(String);
  if (typeof target === 'string') return [target];
  const cause = (meta?.driverAdapterError as { cause?: { constraint?: { fields?: unknown } } } | undefined)?.cause;
  const fields = cause?.constraint?.fields;
  return Array.isArray(fields) ? fields.map((f) => String(f).replace(/^"|"$/g, '')) : [];
}

/** Translate a Prisma error into a DbError; anything else is returned as is. */
export function toDbError(err: unknown): unknown {
  if (!(err instanceof Prisma.PrismaClientKnownRequestError)) return err;
  const meta = err.meta as Meta;
  const model = typeof meta?.modelName === 'string' ? meta.modelName : undefined;
  if (err.code === 'P2002') return new DbConflictError(model, conflictFields(meta), { cause: err });
  if (err.code === 'P2025') return new DbNotFoundError(model, { cause: err });
  return err;
}

/** Run a query, rethrowing Prisma errors as DbErrors. */
export async function mapDbErrors<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw toDbError(err);
  }
}
