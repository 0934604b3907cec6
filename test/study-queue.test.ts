// The distributed runner: a real redis-server on loopback, two `molgrove worker` processes, one
// killed mid-run; every run must complete, and be recorded, exactly once. Plus the queue contract's
// small pure parts (URL, ids, path maps, job data checks).
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Queue } from 'bullmq';
import { parseStudy } from '../src/study/definition.js';
import { planStudy } from '../src/study/plan.js';
import {
  checkRedis,
  QUEUED_RUN_FORMAT,
  RUNS_QUEUE,
  readQueuedRun,
  redisConnection,
  runJobId,
  studyFolderId,
} from '../src/study/queue.js';
import { runStudyOnQueue } from '../src/study/queue-runner.js';
import { mapPath } from '../src/study/queue-worker.js';
import type { StudyEvent } from '../src/study/runner.js';
import { RESULTS_FILE, type RunResult } from '../src/study/store.js';
import { NO_SHARED_DATA, REPO_ROOT, SHARED_DATA_DIR } from './helpers/shared-data.js';

describe('queue contract', () => {
  test('redis URLs: host, port, db and credentials; anything else is refused', () => {
    assert.deepEqual(redisConnection('redis://10.0.0.5:6390/2'), {
      host: '10.0.0.5',
      port: 6390,
      db: 2,
      maxRetriesPerRequest: null,
    });
    const c = redisConnection('rediss://me:p%40ss@h') as Record<string, unknown>;
    assert.equal(c['port'], 6379);
    assert.equal(c['username'], 'me');
    assert.equal(c['password'], 'p@ss');
    assert.deepEqual(c['tls'], {});
    assert.throws(() => redisConnection('http://h:1'), /redis:\/\/ or rediss:\/\//);
    assert.throws(() => redisConnection('localhost:6379'), /redis/);
    assert.throws(() => redisConnection('redis://h:1/x'), /database/);
  });

  test('job ids: one per study folder and run, without the colons BullMQ refuses', () => {
    const a = runJobId('/s/one', 'finetune', 'abcdef0123456789');
    assert.equal(a, `finetune-abcdef0123456789-${studyFolderId('/s/one')}`);
    assert.notEqual(a, runJobId('/s/two', 'finetune', 'abcdef0123456789'));
    assert.ok(!a.includes(':'));
  });

  test('path maps rewrite whole leading components only', () => {
    const map = [{ from: '/mnt/a', to: '/data/a' }];
    assert.equal(mapPath('/mnt/a/s1', map), '/data/a/s1');
    assert.equal(mapPath('/mnt/a', map), '/data/a');
    assert.equal(mapPath('/mnt/ab/s1', map), '/mnt/ab/s1');
  });

  test('an unreachable Redis is an error naming the URL, not an endless retry', async () => {
    const port = await freePort();
    await assert.rejects(
      checkRedis(`redis://127.0.0.1:${port}`),
      new RegExp(`cannot reach Redis at redis://127\\.0\\.0\\.1:${port}`),
    );
  });

  test('job data from another format or version is refused with its id', () => {
    assert.throws(() => readQueuedRun({ format: 'x' }, 'j1'), /queued job j1: format 'x'/);
    assert.throws(
      () => readQueuedRun({ format: QUEUED_RUN_FORMAT, formatVersion: 99, molgrove: '9.9.9' }, 'j2'),
      /format version 99.*molgrove 9\.9\.9/,
    );
    assert.throws(() => readQueuedRun(null, undefined), /not an object/);
  });
});

/** A free loopback port (the OS picks it; released before redis takes it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const HAS_REDIS = spawnSync('redis-server', ['--version']).status === 0;
const SKIP_REDIS = process.env['MOLGROVE_SKIP_REDIS'] === '1';

describe('study run --queue with two workers, one killed mid-run', { skip: NO_SHARED_DATA }, () => {
  const tmp = mkdtempSync(join(tmpdir(), 'molgrove-study-queue-'));
  const out = join(tmp, 'out');
  const env = {
    ...process.env,
    MOLGROVE_CACHE_DIR: join(tmp, 'cache'),
    MOLGROVE_DATA_DIR: process.env['MOLGROVE_DATA_DIR'] ?? SHARED_DATA_DIR,
    MOLGROVE_PROGRESS: '0',
  };
  const children: ChildProcess[] = [];
  let url = '';
  const plan = planStudy(
    parseStudy(
      {
        name: 'queued',
        datasets: ['bace'],
        seeds: [0, 1, 2],
        axes: { objective: ['none', 'attrmask'] },
        // Long enough (a few seconds) that the kill lands inside a fine-tune.
        finetune: { epochs: 4, hidden: 16, layers: 2, batchSize: 64 },
        pretrain: {
          corpus: join(REPO_ROOT, 'test/fixtures/grover-pretrain/mols.csv'),
          limit: 40,
          epochs: 1,
          batchSize: 16,
        },
      },
      'queued study',
      REPO_ROOT,
    ),
  );

  before(async () => {
    if (!HAS_REDIS && !SKIP_REDIS)
      throw new Error(
        'redis-server is not on PATH: install it (Debian package redis-server; .ci/run does) or set MOLGROVE_SKIP_REDIS=1',
      );
    if (!HAS_REDIS) return;
    const port = await freePort();
    const redis = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: 'ignore' },
    );
    children.push(redis);
    url = `redis://127.0.0.1:${port}`;
    for (let i = 0; i < 100; i++) {
      if (
        spawnSync('redis-cli', ['-p', String(port), 'ping'])
          .stdout?.toString()
          .trim() === 'PONG'
      )
        return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`redis-server did not answer on port ${port}`);
  });

  after(() => {
    for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
    rmSync(tmp, { recursive: true, force: true });
  });

  /**
   * A `molgrove worker` process and everything it has printed so far. Locks of 5 s: the killed
   * worker's run comes back quickly, yet a worker starved of CPU still renews its lock in time.
   */
  function startWorker(): { child: ChildProcess; log: () => string; exited: Promise<number | null> } {
    const main = join(REPO_ROOT, 'dist/src/cli/main.js');
    const child = spawn(
      process.execPath,
      [main, 'worker', '--queue', url, '--jobs', '1', '--lock-seconds', '5'],
      {
        env,
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    children.push(child);
    let text = '';
    child.stderr?.on('data', (d: Buffer) => {
      text += d.toString();
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    return { child, log: () => text, exited };
  }

  test('every run completes once; the killed worker’s run is finished by the other', {
    skip: SKIP_REDIS && !HAS_REDIS,
  }, async () => {
    const a = startWorker();
    const b = startWorker();
    const events: StudyEvent[] = [];
    const study = runStudyOnQueue(plan, { out, queue: url, onEvent: (e) => events.push(e) });
    // Kill worker a inside its first fine-tune (it resumes from a checkpoint, or starts over).
    let victim = '';
    for (let i = 0; i < 600 && victim === ''; i++) {
      victim = /started finetune (\w+)/.exec(a.log())?.[1] ?? '';
      if (victim === '') await new Promise((r) => setTimeout(r, 100));
    }
    assert.notEqual(victim, '', `worker a started no fine-tune:\n${a.log()}`);
    await new Promise((r) => setTimeout(r, 1000));
    assert.doesNotMatch(a.log(), new RegExp(`finished finetune ${victim}`), 'the kill came too late');
    a.child.kill('SIGKILL');
    const outcome = await study;

    assert.deepEqual(outcome.failed, []);
    assert.ok(outcome.completed);
    assert.equal(outcome.recorded, 7);
    const lines = readFileSync(join(out, RESULTS_FILE), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as RunResult);
    const planned = [...plan.pretrains, ...plan.finetunes].map((r) => r.key).sort();
    assert.deepEqual(lines.map((r) => r.key).sort(), planned, 'each planned run recorded exactly once');
    assert.equal(events.filter((e) => e.type === 'finished').length, 7);
    // The victim's run was finished by worker b, on its second start.
    const victimResult = lines.find((r) => r.key === victim);
    assert.ok(String(victimResult?.info?.['worker']).endsWith(`:${b.child.pid}`), 'recorded from worker b');
    assert.match(b.log(), new RegExp(`started finetune ${victim} \\(study queued, attempt 2\\)`));
    // Each run's job completed once, none failed; no run finished twice across the workers' logs.
    const queue = new Queue(RUNS_QUEUE, { connection: redisConnection(url) });
    try {
      for (const r of lines) {
        const job = await queue.getJob(runJobId(out, r.kind, r.key));
        assert.equal(await job?.getState(), 'completed', r.key);
      }
      assert.equal(await queue.getFailedCount(), 0);
    } finally {
      await queue.close();
    }
    const finishedByWorkers = [
      ...`${a.log()}\n${b.log()}`.matchAll(/finished (?:finetune|pretrain) (\w+)/g),
    ].map((m) => m[1]);
    assert.deepEqual([...finishedByWorkers].sort(), planned);

    // A rerun records nothing and returns at once; the worker stops cleanly on SIGTERM.
    const again = await runStudyOnQueue(plan, { out, queue: url });
    assert.ok(again.completed);
    assert.equal(again.recorded, 0);
    assert.equal(again.skipped, 7);
    b.child.kill('SIGTERM');
    assert.equal(await b.exited, 0);
  });
});
