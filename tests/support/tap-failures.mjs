// Prints each failed test of the given TAP files with its diagnostics (error, location, the
// assertion's message), capped, so the end of a CI log says why a test failed even when only
// its last lines are kept. Usage: node tests/support/tap-failures.mjs results*.tap
import { readFileSync } from 'node:fs';

const PER_FAILURE = 30;
const TOTAL = 150;
const out = [];
for (const file of process.argv.slice(2)) {
  let lines;
  try {
    lines = readFileSync(file, 'utf8').split('\n');
  } catch {
    continue;
  }
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)not ok \d+ - (.*)$/.exec(lines[i]);
    if (!m) continue;
    const indent = m[1];
    const block = [`✖ ${m[2]}`];
    // The YAML block that follows: "  ---" … "  ...", one level deeper than the test line.
    if (lines[i + 1]?.trim() === '---') {
      for (let j = i + 2; j < lines.length && lines[j].trim() !== '...'; j++) {
        if (lines[j].startsWith(indent)) block.push(`  ${lines[j].slice(indent.length).trimEnd()}`);
      }
    }
    out.push(...block.slice(0, PER_FAILURE));
    if (block.length > PER_FAILURE) out.push(`  … ${block.length - PER_FAILURE} more lines`);
  }
}
if (out.length) {
  console.log(out.slice(0, TOTAL).join('\n'));
  if (out.length > TOTAL) console.log(`… ${out.length - TOTAL} more lines in ${process.argv.slice(2).join(' ')}`);
}
