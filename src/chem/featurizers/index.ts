/** The featurizer registry: presets by alias. */
import { unknownChoice } from '../../errors.js';
import { chempropFeaturizer } from './chemprop.js';
import { groverFeaturizer } from './grover.js';
import { huFeaturizer } from './hu.js';
import type { Featurizer } from './types.js';

export { GROVER_SMARTS, groverChargeSlot } from './grover.js';
export * from './hu.js';
export type { AtomContext, FeatureBlock, Featurizer } from './types.js';

const FEATURIZERS: Readonly<Record<string, Featurizer>> = {
  hu: huFeaturizer,
  basic: huFeaturizer,
  grover: groverFeaturizer,
  rich: groverFeaturizer,
  chemprop: chempropFeaturizer,
};

export const FEATURIZER_NAMES = ['hu', 'grover', 'chemprop'] as const;

/** Looks up a preset; `basic` and `rich` are Sun et al.'s names for `hu` and `grover`. */
export function getFeaturizer(name: string): Featurizer {
  const f = FEATURIZERS[name.toLowerCase()];
  if (!f) throw unknownChoice('featurizer', name, Object.keys(FEATURIZERS));
  return f;
}
