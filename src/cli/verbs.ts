/** Every CLI verb, registered in the order `molgrove --help` lists them. One file per verb. */
import type { Command } from 'commander';

export function registerVerbs(_program: Command): void {}
