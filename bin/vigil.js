#!/usr/bin/env node
// Vigil command line. Built output lives in dist/ (`npm run build`, run by `npm ci` via "prepare").
import { main } from '../dist/cli/main.js';

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exitCode = 2;
  },
);
