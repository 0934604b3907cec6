/**
 * The `molgrove` program as a function, so that tests can run verbs in-process; src/cli/main.ts is
 * the binary around it. Each verb lives in its own file under src/cli/ and registers itself in verbs.ts.
 * Exit codes: 0 ok, 1 runtime error, 2 usage/config error, 130 stopped cleanly on Ctrl-C.
 */
import { Command, CommanderError } from 'commander';
import { exitCodeFor, MolgroveError } from '../errors.js';
import { VERSION } from '../version.js';
import { registerVerbs } from './verbs.js';

export async function main(argv: readonly string[]): Promise<number> {
  const program = new Command('molgrove')
    .description('Molecular representation learning: featurize, split, pretrain, fine-tune, compare.')
    .version(VERSION)
    .exitOverride()
    .showHelpAfterError('(run with --help for usage)');
  registerVerbs(program);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version arrive here as "errors" with exit code 0.
      return err.exitCode === 0 ? 0 : 2;
    }
    const code = exitCodeFor(err);
    const msg = err instanceof MolgroveError ? `${err.code}: ${err.message}` : String(err);
    process.stderr.write(`molgrove: ${msg}\n`);
    if (
      !(err instanceof MolgroveError) &&
      err instanceof Error &&
      err.stack &&
      process.env['MOLGROVE_DEBUG']
    ) {
      process.stderr.write(`${err.stack}\n`);
    }
    return code;
  }
}
