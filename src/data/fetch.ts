/**
 * Where a registry dataset's file comes from, in order:
 *   1. the local mirror `$MOLGROVE_DATA_DIR/<file>` (checksum verified once per process);
 *   2. the download cache `$MOLGROVE_CACHE_DIR/<file>` (default `~/.cache/molgrove/datasets`);
 *   3. a download of `spec.url` (decompressed when `spec.compression` says so), verified against
 *      `spec.sha256` and written atomically into the cache.
 * `offline: true` or `MOLGROVE_OFFLINE=1` forbids step 3.
 */
import { createHash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { DatasetError } from '../errors.js';
import { writeFileAtomic } from '../util/atomic.js';
import type { DatasetSpec } from './registry.js';

/** The subset of a registry entry the resolver needs; lets callers resolve files of their own. */
export type FetchableSpec = Pick<DatasetSpec, 'name' | 'file' | 'url' | 'sha256'> & {
  readonly compression?: 'gzip';
};

export interface ResolveOptions {
  /** Forbid network access (default: `MOLGROVE_OFFLINE` is `1`/`true`/`yes`). */
  offline?: boolean;
  /** Mirror directory (default `$MOLGROVE_DATA_DIR`; none when unset). */
  dataDir?: string;
  /** Cache directory (default `$MOLGROVE_CACHE_DIR`, else `~/.cache/molgrove/datasets`). */
  cacheDir?: string;
  /** Download timeout in milliseconds (default 300000). */
  timeoutMs?: number;
}

export type DatasetSource =
  | { kind: 'mirror'; path: string }
  | { kind: 'cache'; path: string }
  | { kind: 'download'; url: string; path: string };

const HINT =
  'set MOLGROVE_DATA_DIR to a directory mirroring the dataset files (e.g. ../shared/data), ' +
  'or place the file in the cache';

function envFlag(name: string): boolean {
  const v = process.env[name]?.trim().toLowerCase();
  return v === '1' || v === 'true' || v === 'yes';
}

/** The mirror directory in effect (absolute), or undefined. */
export function dataDir(options: ResolveOptions = {}): string | undefined {
  const dir = options.dataDir ?? process.env['MOLGROVE_DATA_DIR'];
  return dir ? resolve(dir) : undefined;
}

/** The cache directory in effect (absolute). */
export function cacheDir(options: ResolveOptions = {}): string {
  const dir = options.cacheDir ?? process.env['MOLGROVE_CACHE_DIR'];
  return resolve(dir || join(homedir(), '.cache', 'molgrove', 'datasets'));
}

function isOffline(options: ResolveOptions): boolean {
  return options.offline ?? envFlag('MOLGROVE_OFFLINE');
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/** Where `resolveDatasetFile` would read the file from, without reading or downloading anything. */
export function describeSource(spec: FetchableSpec, options: ResolveOptions = {}): DatasetSource {
  const mirror = dataDir(options);
  if (mirror !== undefined) {
    const path = join(mirror, spec.file);
    if (isFile(path)) return { kind: 'mirror', path };
  }
  const cached = join(cacheDir(options), spec.file);
  if (isFile(cached)) return { kind: 'cache', path: cached };
  return { kind: 'download', url: spec.url, path: cached };
}

/** sha256 results by path, valid while mtime and size are unchanged. */
const verified = new Map<string, { mtimeMs: number; size: number; sha256: string }>();

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** sha256 of a file, computed once per process per (path, mtime, size). */
export async function fileSha256(path: string): Promise<string> {
  const st = statSync(path);
  const hit = verified.get(path);
  if (hit && hit.mtimeMs === st.mtimeMs && hit.size === st.size) return hit.sha256;
  const sha256 = await hashFile(path);
  verified.set(path, { mtimeMs: st.mtimeMs, size: st.size, sha256 });
  return sha256;
}

/** Forgets cached checksums (tests). */
export function clearChecksumCache(): void {
  verified.clear();
}

/** In-flight downloads by cache path, so concurrent callers share one. */
const inflight = new Map<string, Promise<string>>();

/**
 * Absolute path of a verified local copy of the dataset file: mirror, else cache, else download.
 * Failures are DatasetErrors naming the file, URL and what to do.
 */
export async function resolveDatasetFile(spec: FetchableSpec, options: ResolveOptions = {}): Promise<string> {
  const mirror = dataDir(options);
  if (mirror !== undefined) {
    const path = join(mirror, spec.file);
    if (isFile(path)) {
      const actual = await fileSha256(path);
      if (actual !== spec.sha256) {
        throw new DatasetError(
          `checksum mismatch for dataset '${spec.name}' in the mirror: ${path} has sha256 ${actual}, ` +
            `expected ${spec.sha256} (the file was changed or is a different version)`,
        );
      }
      return path;
    }
  }

  const cached = join(cacheDir(options), spec.file);
  if (isFile(cached)) {
    const actual = await fileSha256(cached);
    if (actual === spec.sha256) return cached;
    // A stale or damaged cache entry is replaced by a fresh download below (when allowed).
    if (isOffline(options)) {
      throw new DatasetError(
        `checksum mismatch for dataset '${spec.name}' in the cache: ${cached} has sha256 ${actual}, ` +
          `expected ${spec.sha256}; offline mode forbids downloading ${spec.url} again; ${HINT}`,
      );
    }
  }

  if (isOffline(options)) {
    const where = mirror === undefined ? 'MOLGROVE_DATA_DIR is not set' : `not found in ${mirror}`;
    throw new DatasetError(
      `dataset '${spec.name}' (${spec.file}) is not available locally (${where}; not in cache ${cached}) ` +
        `and offline mode (MOLGROVE_OFFLINE / --offline) forbids downloading ${spec.url}; ${HINT}`,
    );
  }

  const running = inflight.get(cached);
  if (running) return running;
  const job = download(spec, cached, options).finally(() => inflight.delete(cached));
  inflight.set(cached, job);
  return job;
}

async function download(spec: FetchableSpec, dest: string, options: ResolveOptions): Promise<string> {
  const failed = (why: string, cause?: unknown): DatasetError =>
    new DatasetError(`cannot download dataset '${spec.name}' from ${spec.url}: ${why}; ${HINT}`, {
      cause,
    });
  let body: Buffer;
  try {
    const res = await fetch(spec.url, { signal: AbortSignal.timeout(options.timeoutMs ?? 300_000) });
    if (!res.ok) throw failed(`HTTP ${res.status} ${res.statusText}`.trim());
    body = Buffer.from(await res.arrayBuffer());
  } catch (err) {
    if (err instanceof DatasetError) throw err;
    const cause = (err as { cause?: unknown }).cause;
    const detail = cause instanceof Error ? ` (${cause.message})` : '';
    throw failed(`${err instanceof Error ? err.message : String(err)}${detail}`, err);
  }
  // A server may already have decoded a gzip transfer encoding; only gunzip real gzip bytes.
  if (spec.compression === 'gzip' && body.length >= 2 && body[0] === 0x1f && body[1] === 0x8b) {
    try {
      body = gunzipSync(body);
    } catch (err) {
      throw failed(`corrupt gzip data: ${err instanceof Error ? err.message : String(err)}`, err);
    }
  }
  const actual = createHash('sha256').update(body).digest('hex');
  if (actual !== spec.sha256) {
    throw failed(`checksum mismatch: expected sha256 ${spec.sha256}, got ${actual}`);
  }
  try {
    await writeFileAtomic(dest, body);
  } catch (err) {
    throw new DatasetError(
      `downloaded dataset '${spec.name}' but cannot write the cache file ${dest}: ` +
        `${err instanceof Error ? err.message : String(err)}; set MOLGROVE_CACHE_DIR to a writable directory`,
      { cause: err },
    );
  }
  const st = statSync(dest);
  verified.set(dest, { mtimeMs: st.mtimeMs, size: st.size, sha256: actual });
  return dest;
}

/** True when the file exists in the mirror or the cache (no checksum check). */
export function isAvailableLocally(spec: FetchableSpec, options: ResolveOptions = {}): boolean {
  return describeSource(spec, options).kind !== 'download';
}
