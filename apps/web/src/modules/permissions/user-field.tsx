'use client';

/**
 * A user name box with suggestions (permission.findUsers: part of a name, at most 20 matches),
 * for granting a role: works for a project's owner as for an administrator, and stays quick with
 * thousands of users (the server searches, the browser never holds the whole list).
 */
import { useQuery } from '@tanstack/react-query';
import { useId } from 'react';
import { useTRPC } from '@/trpc/client';
import { inputBase } from '../ui/buttons';

export type FoundUser = { id: string; username: string };

/** The user whose name is exactly `text` among the matches, and a hint when there is none. */
export function useUserLookup(text: string): {
  chosen: FoundUser | undefined;
  matches: FoundUser[];
  hint: string | null;
  error: unknown;
} {
  const trpc = useTRPC();
  const wanted = text.trim();
  const found = useQuery({
    ...trpc.permission.findUsers.queryOptions({ text: wanted }),
    enabled: wanted.length > 0,
    staleTime: 10_000,
  });
  const matches = wanted ? (found.data ?? []) : [];
  const chosen = matches.find((u) => u.username === wanted);
  const hint =
    wanted && found.isSuccess && !chosen
      ? matches.length === 0
        ? `No user's name contains “${wanted}”.`
        : 'Pick a user from the list.'
      : null;
  return { chosen, matches, hint, error: found.error };
}

export function UserField({
  value,
  onChange,
  matches,
  testId,
}: {
  value: string;
  onChange: (text: string) => void;
  matches: FoundUser[];
  testId: string;
}) {
  const listId = useId();
  return (
    <>
      <input
        data-testid={testId}
        className={`h-8 ${inputBase.replace('w-full ', '')} w-48`}
        placeholder="User name…"
        aria-label="User"
        autoComplete="off"
        list={listId}
        value={value}
        onChange={(e) => onChange(e.target.value)}
      />
      <datalist id={listId}>
        {matches.map((u) => (
          <option key={u.id} value={u.username} />
        ))}
      </datalist>
    </>
  );
}
