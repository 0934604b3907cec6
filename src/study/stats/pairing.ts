// Pairing a pretrained arm with its baseline by seed/split key. Unmatched keys are reported, never
// silently dropped, and gains are oriented so that positive always means "the arm is better".
import { ConfigError } from '../../errors.js';

export type Direction = 'higher' | 'lower';
export type ValuesByKey = Readonly<Record<string, number>> | ReadonlyMap<string, number>;

export interface Pairing {
  /** Keys present on both sides, sorted. */
  keys: string[];
  baseline: number[];
  arm: number[];
  /** arm − baseline for higher-is-better metrics, baseline − arm for lower-is-better ones. */
  gains: number[];
  /** Keys with a baseline value but no arm value. */
  missingInArm: string[];
  /** Keys with an arm value but no baseline value. */
  missingInBaseline: string[];
}

export function pairByKey(
  baseline: ValuesByKey,
  arm: ValuesByKey,
  direction: Direction,
  what = 'comparison',
): Pairing {
  if (direction !== 'higher' && direction !== 'lower') {
    throw new ConfigError(`${what}: direction must be 'higher' or 'lower', got ${String(direction)}`);
  }
  const b = toMap(baseline, `${what} baseline`);
  const a = toMap(arm, `${what} arm`);
  const keys = [...b.keys()].filter((k) => a.has(k)).sort();
  const baseValues = keys.map((k) => b.get(k)!);
  const armValues = keys.map((k) => a.get(k)!);
  return {
    keys,
    baseline: baseValues,
    arm: armValues,
    gains: keys.map((_, i) =>
      direction === 'higher' ? armValues[i]! - baseValues[i]! : baseValues[i]! - armValues[i]!,
    ),
    missingInArm: [...b.keys()].filter((k) => !a.has(k)).sort(),
    missingInBaseline: [...a.keys()].filter((k) => !b.has(k)).sort(),
  };
}

function toMap(values: ValuesByKey, what: string): Map<string, number> {
  const entries = values instanceof Map ? [...values.entries()] : Object.entries(values);
  for (const [k, v] of entries) {
    if (!Number.isFinite(v))
      throw new ConfigError(`${what}: value for key ${JSON.stringify(k)} is ${v}, expected a finite number`);
  }
  return new Map(entries);
}
