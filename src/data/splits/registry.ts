/** Splitters by name and alias; an unknown name fails listing the choices. */
import { unknownChoice } from '../../errors.js';
import { balancedScaffoldSplitter } from './balanced-scaffold.js';
import { randomSplitter } from './random.js';
import { randomScaffoldSplitter } from './random-scaffold.js';
import { scaffoldSplitter } from './scaffold.js';
import { stratifiedSplitter } from './stratified.js';
import type { SplitInput, SplitResult, Splitter } from './types.js';

export const SPLITTERS: readonly Splitter[] = [
  randomSplitter,
  scaffoldSplitter,
  balancedScaffoldSplitter,
  randomScaffoldSplitter,
  stratifiedSplitter,
];

/** Every accepted name: canonical names then aliases. */
export const SPLIT_METHOD_NAMES: readonly string[] = [
  ...SPLITTERS.map((s) => s.name),
  ...SPLITTERS.flatMap((s) => s.aliases),
];

export function getSplitter(name: string): Splitter {
  const key = name.trim().toLowerCase();
  const found = SPLITTERS.find((s) => s.name === key || s.aliases.includes(key));
  if (!found) throw unknownChoice('split method', name, SPLIT_METHOD_NAMES);
  return found;
}

/** Splits with the named method (canonical name or alias). */
export function split(method: string, input: SplitInput): SplitResult {
  return getSplitter(method).split(input);
}
