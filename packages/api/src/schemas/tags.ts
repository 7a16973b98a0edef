import { z } from 'zod';

export const TAG_NAME_MAX = 40;

/**
 * A tag: lower-case letters, digits and `-_.:` (so `env:prod`, `team.web`), at most 40, starting
 * with a letter or digit. Input is trimmed and lower-cased first, so "Prod" and "prod" are one tag.
 */
export const tagNameSchema = z
  .string()
  .trim()
  .toLowerCase()
  .min(1, 'A tag cannot be empty.')
  .max(TAG_NAME_MAX, `A tag has at most ${TAG_NAME_MAX} characters.`)
  .regex(
    /^[a-z0-9][a-z0-9._:-]*$/,
    'A tag holds lower-case letters, digits and - _ . : (starting with a letter or digit).',
  );
