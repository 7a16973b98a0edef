/**
 * The HA simulator from the command line (issue 9): runs a scenario file through the real HA
 * decision step on a simulated cluster and clock and prints its timeline, where each VM ends, and
 * any broken safety invariant (exit code 1 then).
 *
 *   node --import tsx scripts/ha-sim.ts packages/api/test/ha-scenarios/host-failure.json
 *
 * Scenario format: packages/api/src/services/ha/simulate.ts (scenarioSchema).
 */
import { readFileSync } from 'node:fs';
import { formatResult, simulate } from '../packages/api/src/services/ha/simulate.ts';

const file = process.argv[2];
if (!file) {
  console.error('usage: node --import tsx scripts/ha-sim.ts <scenario.json>');
  process.exit(2);
}
const scenario = JSON.parse(readFileSync(file, 'utf8'));
const result = simulate(scenario);
console.log(`# ${scenario.name}\n${formatResult(result)}`);
process.exit(result.violations.length ? 1 : 0);
