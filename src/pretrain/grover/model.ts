/** The real encoder for pretraining: GroverEncoder (src/models/grover) fed by groverGraph. */

import { ConfigError } from '../../errors.js';
import { groverDescription } from '../../models/encoders/grover.js';
import { GROVER_PRESETS, GroverEncoder, type GroverOptions } from '../../models/grover/encoder.js';
import { type GroverGraph, groverGraph } from '../../models/grover/graph.js';
import type * as T from '../../tensor/index.js';
import type { EncoderAdapter } from './pretrain.js';

export type GroverPresetName = keyof typeof GROVER_PRESETS;

export function groverPreset(name: string): GroverOptions {
  const p = (GROVER_PRESETS as Record<string, GroverOptions>)[name];
  if (!p)
    throw new ConfigError(`unknown GROVER preset '${name}' (${Object.keys(GROVER_PRESETS).join(', ')})`);
  return p;
}

/** An adapter factory for pretrainGrover: GroverEncoder(options) on groverGraph inputs. */
export function groverAdapter(options: GroverOptions): (rng: T.Rng) => EncoderAdapter<GroverGraph> {
  return (rng) => ({
    encoder: new GroverEncoder(options, rng),
    input: (batch, masks) => groverGraph(batch, masks),
    description: groverDescription(options),
  });
}
