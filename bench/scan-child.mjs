#!/usr/bin/env node
// One measured scan for scan-bench.mjs: node scan-child.mjs <file> <rules dir> <threads> [--no-prefilter]
// Prints {events, detections, rules, loadMs, scanMs, maxRssMb} as JSON.
import '../dist/pipeline/decoders/register.js';
import { loadRuleFiles } from '../dist/rules/loader.js';
import { selectByStatus } from '../dist/rules/select.js';
import { runScan } from '../dist/scan/scan.js';

const [file, rulesDir, threads, ...flags] = process.argv.slice(2);
const t0 = performance.now();
const set = await loadRuleFiles([rulesDir]);
const selected = selectByStatus(set.rules, new Set(['stable', 'test', 'experimental']));
const t1 = performance.now();
const report = await runScan({
  paths: [file],
  rules: selected.rules,
  filters: set.filters,
  ruleDiagnostics: set.diagnostics,
  ruleFiles: set.files,
  excludedByStatus: selected.excluded,
  placeholders: new Map(),
  timezone: 'UTC',
  minLevel: 'informational',
  includeOriginal: false,
  prefilter: !flags.includes('--no-prefilter'),
  threads: Number(threads),
});
const t2 = performance.now();
process.stdout.write(
  JSON.stringify({
    events: report.summary.events,
    detections: report.summary.detections,
    rules: report.summary.rules.loaded,
    threads: report.summary.threads,
    loadMs: t1 - t0,
    scanMs: t2 - t1,
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  }),
);
