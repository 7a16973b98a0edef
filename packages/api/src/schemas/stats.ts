import { z } from 'zod';
import { STATS_RANGES, type StatsRange } from '../services/stats-history.ts';

const ranges = Object.keys(STATS_RANGES) as [StatsRange, ...StatsRange[]];

/** A stats history range: 1h and 24h come from 10 s buckets, 7d and 30d from 5 min buckets. */
export const statsRangeInput = z.enum(ranges, { message: `Range must be one of ${ranges.join(', ')}.` });
