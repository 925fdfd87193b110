#!/usr/bin/env node
// `npm run bench [-- --smoke]`: every benchmark in turn, with the same arguments.
import { execFileSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = dirname(fileURLToPath(import.meta.url));
for (const bench of ['scan-bench.mjs', 'evtx-bench.mjs', 'correlation-bench.mjs', 'service-bench.mjs']) {
  execFileSync(process.execPath, [join(HERE, bench), ...process.argv.slice(2)], { stdio: 'inherit' });
}
