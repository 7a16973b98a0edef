/**
 * Prints a fresh one-time enrollment token for an agent; used by bring-up and tests. Valid for
 * VIREO_ENROLLMENT_TOKEN_TTL_H, the same setting the manager uses.
 */
import { createEnrollmentToken } from '../packages/api/src/services/host-service.ts';
import { closeDb } from '@vireo/db';

const { token } = await createEnrollmentToken(null);
console.log(token);
await closeDb();
