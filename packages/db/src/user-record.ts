// User selection and mapping, shared by users.ts and sessions.ts.
import type { UserRole } from './enums.ts';
import type { Prisma } from './generated/client.ts';

export type UserView = { id: string; username: string; role: UserRole; createdAt: Date; disabledAt: Date | null };

export const userSelect = {
  id: true,
  username: true,
  role: true,
  createdAt: true,
  disabledAt: true,
} satisfies Prisma.UserSelect;

export function toUserView(row: Prisma.UserGetPayload<{ select: typeof userSelect }>): UserView {
  return { ...row, role: row.role as UserRole };
}
