/**
 * `molgrove worker --queue redis://host:port`: executes the runs `molgrove study run --queue` puts
 * on the queue (study/queue-worker.ts) until stopped. Ctrl-C (or SIGTERM) stops cleanly: running
 * runs checkpoint and go back to the queue for another worker.
 */
import type { Command } from 'commander';
import { ConfigError } from '../errors.js';
import { formatDuration } from '../study/estimate.js';
import { checkRedis } from '../study/queue.js';
import { startQueueWorker, type WorkerEvent } from '../study/queue-worker.js';
import { runWithInterrupt } from './interrupt.js';

interface WorkerOptions {
  queue: string;
  jobs?: string;
  lockSeconds: string;
  map: string[];
}

const collect = (v: string, list: string[]) => [...list, v];

export function registerWorker(program: Command): void {
  program
    .command('worker')
    .description('execute study runs from a Redis queue (see `study run --queue`) until stopped')
    .requiredOption('--queue <url>', 'the queue: redis://host:port[/db]')
    .option('--jobs <n>', 'runs at once, each in a worker thread (default: one per core)')
    .option(
      '--lock-seconds <s>',
      "how long a run's lock lasts unrenewed: a dead worker's runs go back to the queue after it",
      '30',
    )
    .option(
      '--map <from=to>',
      'read the study folders under <to> where the coordinator has them under <from> (repeatable)',
      collect,
      [],
    )
    .action(async (opts: WorkerOptions) => {
      const jobs = opts.jobs === undefined ? undefined : Number(opts.jobs);
      if (jobs !== undefined && !(Number.isInteger(jobs) && jobs >= 1))
        throw new ConfigError(`--jobs must be an integer ≥ 1, got '${opts.jobs}'`);
      const lockSeconds = Number(opts.lockSeconds);
      if (!(lockSeconds >= 1))
        throw new ConfigError(`--lock-seconds must be a number ≥ 1, got '${opts.lockSeconds}'`);
      const map = opts.map.map((m) => {
        const i = m.indexOf('=');
        if (i <= 0 || i === m.length - 1) throw new ConfigError(`--map must read <from>=<to>, got '${m}'`);
        return { from: m.slice(0, i).replace(/\/+$/, ''), to: m.slice(i + 1).replace(/\/+$/, '') };
      });
      await checkRedis(opts.queue);
      const worker = await startQueueWorker({
        queue: opts.queue,
        ...(jobs === undefined ? {} : { jobs }),
        lockSeconds,
        map,
        onEvent: renderWorkerEvent,
      });
      await runWithInterrupt(
        'worker: stopping: running runs checkpoint and go back to the queue',
        (signal) =>
          new Promise<void>((resolve) =>
            signal.addEventListener('abort', () => void worker.close().then(resolve)),
          ),
        ['SIGINT', 'SIGTERM'],
      );
      process.stderr.write('worker: stopped\n');
    });
}

const fmt = (v: unknown) => (typeof v === 'number' ? v.toFixed(4) : String(v));

/** One stderr line per run started, finished, failed or put back. */
export function renderWorkerEvent(e: WorkerEvent): void {
  const out = (line: string) => process.stderr.write(`${line}\n`);
  switch (e.type) {
    case 'ready':
      out(`worker ${e.worker}: ready, ${e.jobs} run(s) at once, ${e.threadsPerRun} kernel thread(s) each`);
      return;
    case 'started':
      out(`started ${e.kind} ${e.key} (study ${e.study}${e.attempt > 1 ? `, attempt ${e.attempt}` : ''})`);
      return;
    case 'requeued':
      out(`requeued ${e.kind} ${e.key} (checkpointed)`);
      return;
    case 'finished': {
      const m = e.metrics;
      const what =
        e.kind === 'finetune'
          ? `test ${m['metric']} ${fmt(m['test'])}`
          : `final loss ${fmt(m['finalTrainLoss'])}`;
      out(`finished ${e.kind} ${e.key}: ${what}, ${formatDuration(e.seconds)}`);
      return;
    }
    case 'failed':
      out(`FAILED ${e.kind} ${e.key}: ${e.error}`);
      return;
    case 'warning':
      out(`worker: ${e.message}`);
      return;
    case 'progress':
      return;
  }
}
