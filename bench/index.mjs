#!/usr/bin/env node
// `npm run bench [-- --smoke]`: every benchmark in turn, with the same arguments.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
const BENCHES = [
  'scan-bench.mjs',
  'evtx-bench.mjs',
  'correlation-bench.mjs',
  'anomaly-bench.mjs',
  'classifier-bench.mjs',
  'templates-bench.mjs',
  'ueba-bench.mjs',
  'graph-bench.mjs',
  'service-bench.mjs',
];
for (const bench of BENCHES) {
  execFileSync(process.execPath, [join(HERE, bench), ...process.argv.slice(2)], { stdio: 'inherit' });
}
