import type { VmState } from '@/trpc/types';

/** Which lifecycle actions make sense in which state (mirrors the API's own checks). */
const ALLOWED: Record<'start' | 'shutdown' | 'forceOff' | 'delete', readonly VmState[]> = {
  start: ['shutoff', 'crashed'],
  shutdown: ['running', 'paused', 'shutdown'],
  forceOff: ['running', 'paused', 'shutdown', 'crashed', 'pmsuspended', 'unknown'],
  delete: ['shutoff', 'crashed', 'unknown'],
};

export type VmAction = keyof typeof ALLOWED;

export function actionAllowed(action: VmAction, state: VmState): boolean {
  return ALLOWED[action].includes(state);
}

/** States in which the VM has a screen to connect to. */
export function hasConsole(state: VmState): boolean {
  return state === 'running' || state === 'paused';
}
