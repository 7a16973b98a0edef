/**
 * What the manager's sweeps ask a host: the Vireo-named network filters it has (networks come
 * from `network.list`), so the ones no security group owns any more can be removed.
 */
import { z } from 'zod';

export const sweepRequests = {
  /** Names of this host's nwfilters that start with `vireo-` (Vireo's own; libvirt ships others). */
  'filter.list': { params: z.object({}), result: z.object({ names: z.array(z.string().max(200)).max(10_000) }) },
} as const;
