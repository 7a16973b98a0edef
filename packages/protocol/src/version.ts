/** Bumped on any incompatible change to the agent ↔ manager messages. */
export const PROTOCOL_VERSION = 1;
