#!/usr/bin/env node
/** The `molgrove` binary: runs the program (src/cli/program.ts) on the process arguments. */
import { main } from './program.js';

// `molgrove datasets | head` closes the pipe early: that is not an error.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
