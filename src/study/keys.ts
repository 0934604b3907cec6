/**
 * Run keys: a run's identity is the sha256 of the canonical JSON (keys sorted, recursively) of its
 * fully resolved configuration, shortened to KEY_LENGTH hex digits (64 bits: a collision among a
 * study's few thousand runs has odds below 1e-12).
 *
 * molgrove's version is NOT part of the key: a release that changes nothing about a run reuses its
 * result, and every result stores the version that produced it (store.ts), so a report can show
 * or filter mixed versions. Changes that alter results on purpose bump KEY_SCHEME, which
 * invalidates every key at once. Defaults ARE part of the key (the config is resolved first), so a
 * changed default gives new keys for the runs it touches and only those.
 */
import { createHash } from 'node:crypto';
import { ConfigError } from '../errors.js';

/** Bump when the meaning of a resolved config changes (results of old keys no longer comparable). */
export const KEY_SCHEME = 1;
export const KEY_LENGTH = 16;

/**
 * JSON with object keys sorted at every depth; undefined properties dropped (as JSON.stringify
 * does), −0 written as 0; NaN, ±Infinity and non-plain values are errors (they have no JSON).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new ConfigError(`run key: ${value} has no JSON form`);
    return JSON.stringify(Object.is(value, -0) ? 0 : value);
  }
  if (Array.isArray(value))
    return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  if (typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  throw new ConfigError(`run key: cannot hash a ${typeof value} (${String(value)})`);
}

/** The key of a run of `kind` ('pretrain' | 'finetune') with this resolved config. */
export function runKey(kind: string, config: unknown): string {
  return createHash('sha256')
    .update(`molgrove-study-run/${KEY_SCHEME}\n${kind}\n${canonicalJson(config)}`)
    .digest('hex')
    .slice(0, KEY_LENGTH);
}
