// What a fine-tune's `from` means to its run folder and checkpoints: the encoder's bytes, not the
// path it was read from. A study folder moved, or mounted elsewhere by a queue worker
// (`molgrove worker --map`), holds checkpoints whose `from` path no longer exists as written; the
// same encoder under another path must resume them, and another encoder under the same path must not.

import { createHash } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';

const digests = new Map<string, { mtimeMs: number; size: number; digest: string }>();

/** "sha256:<hex>" of the file's bytes (once per path, mtime and size), or null when unreadable. */
export function encoderDigest(path: string): string | null {
  try {
    const st = statSync(path);
    const hit = digests.get(path);
    if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit.digest;
    const digest = `sha256:${createHash('sha256').update(readFileSync(path)).digest('hex')}`;
    digests.set(path, { mtimeMs: st.mtimeMs, size: st.size, digest });
    return digest;
  } catch {
    return null;
  }
}

/**
 * The config as it identifies a run: `from` replaced by its encoder's digest — `known` when given
 * (recorded when the run began), else the file's now; kept as written when neither is there, so a
 * missing encoder still differs from a present one.
 */
export function withEncoderDigest<T extends { readonly from?: string | undefined }>(
  config: T,
  known?: string | null,
): T {
  if (config.from === undefined) return config;
  const digest = known ?? encoderDigest(config.from);
  return digest === null ? config : { ...config, from: digest };
}
