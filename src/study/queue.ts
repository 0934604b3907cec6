/**
 * The contract between `molgrove study run --queue` (the coordinator, queue-runner.ts) and
 * `molgrove worker` (queue-worker.ts), over Redis with BullMQ:
 * - one queue of runs, RUNS_QUEUE, shared by every study: a job per run, its id derived from the
 *   study folder and the run's key, so enqueuing a run twice is a no-op and a rerun finds its job;
 * - one queue of results per study folder: a worker posts a run's outcome (or error) there before
 *   completing the job, and the coordinator, the results store's single writer, records it.
 *   Messages wait in Redis while no coordinator runs, so a coordinator stopped and started again
 *   loses nothing, and recording is idempotent (store.ts), so a message delivered twice is harmless.
 * Workers read and write run folders under the study folder (execute.ts): a directory every
 * machine mounts, at the same path or mapped with `molgrove worker --map`.
 */

import { createHash } from 'node:crypto';
import { hostname } from 'node:os';
import type { ConnectionOptions } from 'bullmq';
import { Redis } from 'ioredis';
import { ConfigError, MolgroveError } from '../errors.js';
import type { RunJob, RunKind, RunOutcome } from './execute.js';

export const RUNS_QUEUE = 'molgrove-runs';
export const QUEUED_RUN_FORMAT = 'molgrove-queued-run';
export const QUEUED_RUN_VERSION = 1;

/** A job of RUNS_QUEUE: a run and where its study lives. */
export interface QueuedRun {
  readonly format: typeof QUEUED_RUN_FORMAT;
  readonly formatVersion: number;
  /** The coordinator's molgrove version (workers warn on a different one). */
  readonly molgrove: string;
  /** The study folder and the folder relative inputs resolve against, as the coordinator sees them. */
  readonly out: string;
  readonly baseDir: string;
  readonly studyName: string;
  /** Where the worker posts the outcome. */
  readonly resultsQueue: string;
  readonly job: RunJob;
}

/** A message of a results queue. */
export type QueuedResult =
  | {
      readonly type: 'finished';
      readonly kind: RunKind;
      readonly key: string;
      readonly config: unknown;
      readonly outcome: RunOutcome;
      /** host:pid of the worker. */
      readonly worker: string;
    }
  | {
      readonly type: 'failed';
      readonly kind: RunKind;
      readonly key: string;
      readonly error: string;
      readonly worker: string;
    };

/** BullMQ connection options of a `redis://[user:password@]host:port[/db]` (or `rediss://`) URL. */
export function redisConnection(url: string): ConnectionOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new ConfigError(`--queue must be a redis://host:port URL, got '${url}'`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:')
    throw new ConfigError(`--queue must be a redis:// or rediss:// URL, got '${url}'`);
  const port = u.port === '' ? 6379 : Number(u.port);
  const dbText = u.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!Number.isInteger(db) || db < 0)
    throw new ConfigError(`--queue: the database (path of ${url}) must be an integer ≥ 0, got '${dbText}'`);
  return {
    host: u.hostname === '' ? '127.0.0.1' : u.hostname,
    port,
    db,
    ...(u.username === '' ? {} : { username: decodeURIComponent(u.username) }),
    ...(u.password === '' ? {} : { password: decodeURIComponent(u.password) }),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    // BullMQ's workers block on Redis: ioredis must not give up on their commands.
    maxRetriesPerRequest: null,
  };
}

/** Fails fast, with the URL, when Redis cannot be reached (ioredis would otherwise retry forever). */
export async function checkRedis(url: string): Promise<void> {
  const options = redisConnection(url) as Record<string, unknown>;
  const client = new Redis({
    ...options,
    lazyConnect: true,
    connectTimeout: 5000,
    maxRetriesPerRequest: 0,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
  } catch (e) {
    throw new MolgroveError('IO', `cannot reach Redis at ${url}: ${(e as Error).message}`);
  } finally {
    client.disconnect();
  }
}

/** 12 hex digits naming a study folder in queue and job ids. */
export function studyFolderId(out: string): string {
  return createHash('sha256').update(out).digest('hex').slice(0, 12);
}

export const resultsQueueName = (out: string): string => `molgrove-results-${studyFolderId(out)}`;

/** The job id of a run ("<kind>-<key>-<folder id>"; BullMQ ids may not hold ':'). */
export const runJobId = (out: string, kind: RunKind, key: string): string =>
  `${kind}-${key}-${studyFolderId(out)}`;

export const workerName = (): string => `${hostname()}:${process.pid}`;

/** A RUNS_QUEUE job's data, checked: an error names what is wrong (a job from another version?). */
export function readQueuedRun(data: unknown, jobId: string | undefined): QueuedRun {
  const d = data as Partial<QueuedRun> | null;
  const problem =
    d === null || typeof d !== 'object'
      ? 'not an object'
      : d.format !== QUEUED_RUN_FORMAT
        ? `format '${String(d.format)}', not '${QUEUED_RUN_FORMAT}'`
        : d.formatVersion !== QUEUED_RUN_VERSION
          ? `format version ${String(d.formatVersion)}; this worker reads ${QUEUED_RUN_VERSION} (molgrove ${String(d.molgrove)} queued it)`
          : typeof d.out !== 'string' || typeof d.resultsQueue !== 'string' || typeof d.job !== 'object'
            ? 'missing out, resultsQueue or job'
            : null;
  if (problem !== null) throw new ConfigError(`queued job ${jobId ?? '?'}: ${problem}`);
  return d as QueuedRun;
}
