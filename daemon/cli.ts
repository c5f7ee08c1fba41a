#!/usr/bin/env node
// Entry point of the `maskgate` command; the dispatcher lives in main.ts so tests can call it.
import { main } from './main.js';

main(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`maskgate: ${(err as Error).message}\n`);
    process.exitCode = 1;
  },
);
