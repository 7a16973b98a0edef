/**
 * The clock of the time-driven rules that tests must be able to move (leases): the real time,
 * plus, in test stacks only, the offset in the file VIREO_TEST_CLOCK_FILE names (milliseconds,
 * re-read at every call so a test moves it while the manager runs). A missing or unreadable
 * file is no offset.
 */
import { readFileSync } from 'node:fs';
import { managerEnv } from '../env.ts';

export function clockOffsetMs(): number {
  const file = managerEnv().VIREO_TEST_CLOCK_FILE;
  if (!file) return 0;
  try {
    const n = Number(readFileSync(file, 'utf8').trim());
    return Number.isFinite(n) ? n : 0;
  } catch {
    return 0;
  }
}

export function now(): Date {
  return new Date(Date.now() + clockOffsetMs());
}
