/**
 * The local study runner (src/study/runner.ts): a tiny study (bace, GIN 8 × 1, 1 epoch; objectives
 * none and attrmask pretrained on 40 fixture molecules; 2 seeds) runs end to end, records every key
 * once, skips everything on a rerun, and after an interruption and a rerun holds exactly the scores
 * of an uninterrupted run; fine-tunes start from their pretraining's encoder.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadEncoderFile } from '../src/models/model-file-node.js';
import { parseStudy } from '../src/study/definition.js';
import { runDir } from '../src/study/execute.js';
import { planStudy, type StudyPlan } from '../src/study/plan.js';
import { runStudy, type StudyEvent } from '../src/study/runner.js';
import { RESULTS_FILE, type RunResult } from '../src/study/store.js';
import { runCli } from './helpers/cli.js';
import { NO_SHARED_DATA, REPO_ROOT, SHARED_DATA_DIR } from './helpers/shared-data.js';

const tmp = mkdtempSync(join(tmpdir(), 'molgrove-study-run-'));
process.env['MOLGROVE_CACHE_DIR'] = join(tmp, 'cache');
process.env['MOLGROVE_DATA_DIR'] ??= SHARED_DATA_DIR;
after(() => rmSync(tmp, { recursive: true, force: true }));

// An absolute corpus path: the CLI test's study file (in tmp) plans the same keys.
const tiny = {
  name: 'tiny',
  datasets: ['bace'],
  seeds: [0, 1],
  axes: { objective: ['none', 'attrmask'] },
  finetune: { epochs: 1, hidden: 8, layers: 1, batchSize: 64 },
  pretrain: {
    corpus: join(REPO_ROOT, 'test/fixtures/grover-pretrain/mols.csv'),
    limit: 40,
    epochs: 1,
    batchSize: 16,
  },
};
const plan: StudyPlan = planStudy(parseStudy(tiny, 'tiny study', REPO_ROOT));

/** Results by key, from the JSONL itself (every line, duplicates included). */
function lines(out: string): RunResult[] {
  return readFileSync(join(out, RESULTS_FILE), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as RunResult);
}

const testScores = (rs: readonly RunResult[]) =>
  Object.fromEntries(
    rs.filter((r) => r.kind === 'finetune').map((r) => [r.key, [r.metrics['test'], r.metrics['valid']]]),
  );

describe('study run', { skip: NO_SHARED_DATA }, () => {
  const full = join(tmp, 'full');
  let fullResults: RunResult[] = [];

  before(async () => {
    const events: StudyEvent[] = [];
    const r = await runStudy(plan, { out: full, jobs: 2, onEvent: (e) => events.push(e) });
    assert.deepEqual(r.failed, []);
    assert.ok(r.completed && !r.interrupted);
    assert.equal(r.recorded, 5);
    fullResults = lines(full);
    const finished = events.filter((e) => e.type === 'finished');
    assert.equal(finished.length, 5);
    assert.equal(finished.at(-1)?.type === 'finished' && finished.at(-1)?.etaSeconds, 0);
    // The pretraining runs before any fine-tune.
    assert.equal(
      events.find((e) => e.type === 'started')?.type === 'started' &&
        events.find((e) => e.type === 'started')?.kind,
      'pretrain',
    );
  });

  test('every planned key is recorded exactly once, with scores and seconds', () => {
    assert.equal(plan.pretrains.length, 1);
    assert.equal(plan.finetunes.length, 4);
    const keys = fullResults.map((r) => r.key).sort();
    assert.deepEqual(keys, [...plan.pretrains, ...plan.finetunes].map((r) => r.key).sort());
    for (const r of fullResults) {
      assert.ok(r.seconds > 0, r.key);
      if (r.kind === 'finetune') {
        assert.equal(r.metrics['metric'], 'roc-auc');
        assert.ok(typeof r.metrics['test'] === 'number' && r.metrics['test'] > 0 && r.metrics['test'] <= 1);
      } else {
        assert.equal(r.metrics['model'], join('pretrain', r.key, 'pretrained.mgv'));
        const stages = r.metrics['stages'] as { moleculesPerEpoch: number; finalTrainLoss: number }[];
        assert.ok(stages[0]!.moleculesPerEpoch > 20 && stages[0]!.moleculesPerEpoch <= 40);
        assert.ok(Number.isFinite(stages[0]!.finalTrainLoss));
      }
    }
  });

  test('fine-tunes of attrmask start from the pretrained encoder; none does not', async () => {
    const pre = plan.pretrains[0]!;
    const pretrained = (await loadEncoderFile(join(full, 'pretrain', pre.key, 'pretrained.mgv'))).description;
    assert.equal(pretrained.arch, 'gin');
    for (const f of plan.finetunes) {
      const dir = runDir(full, 'finetune', f.key);
      const config = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as { from?: string };
      const rec = fullResults.find((r) => r.key === f.key)!;
      const { description: d } = await loadEncoderFile(join(dir, `seed-${f.seed}`, 'model.mgv'));
      if (f.axes['objective'] === 'attrmask') {
        assert.equal(config.from, join(full, 'pretrain', pre.key, 'pretrained.mgv'));
        assert.equal(rec.pretrain, pre.key);
        assert.equal(rec.metrics['from'], join('pretrain', pre.key, 'pretrained.mgv'));
      } else {
        assert.equal(config.from, undefined);
        assert.equal(rec.pretrain, null);
      }
      // Either way the encoder is the planned GIN 8 × 1, the pretrained one's architecture.
      assert.equal(d.arch, pretrained.arch);
      assert.equal(d.featurizer, pretrained.featurizer);
      assert.deepEqual([d.options.dim, d.options.layers], [8, 1]);
      assert.deepEqual([pretrained.options.dim, pretrained.options.layers], [8, 1]);
    }
  });

  test('a rerun skips every run and records nothing', async () => {
    const events: StudyEvent[] = [];
    const r = await runStudy(plan, { out: full, jobs: 2, onEvent: (e) => events.push(e) });
    assert.ok(r.completed);
    assert.equal(r.recorded, 0);
    assert.equal(r.skipped, 5);
    assert.equal(events.filter((e) => e.type === 'skipped').length, 5);
    assert.equal(events.filter((e) => e.type === 'started').length, 0);
    assert.equal(lines(full).length, 5);
  });

  test('molgrove study run: saves study.json and plan.json, skips what is done, refuses another study', async () => {
    const file = join(tmp, 'tiny.json');
    writeFileSync(file, JSON.stringify(tiny));
    const r = await runCli(['study', 'run', file, '--out', full, '--jobs', '2']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.err, /1 pretrainings \(1 done\), 4 fine-tunes \(4 done\)/);
    assert.match(r.err, /all 5 runs done \(0 now, 5 before\)/);
    const saved = JSON.parse(readFileSync(join(full, 'study.json'), 'utf8')) as { name: string };
    assert.equal(saved.name, 'tiny');
    const planned = JSON.parse(readFileSync(join(full, 'plan.json'), 'utf8')) as { finetunes: unknown[] };
    assert.equal(planned.finetunes.length, 4);
    writeFileSync(file, JSON.stringify({ ...tiny, name: 'other' }));
    const refused = await runCli(['study', 'run', file, '--out', full]);
    assert.equal(refused.code, 2);
    assert.match(refused.err, /holds the study 'tiny'.*not 'other'/);
    const bad = await runCli(['study', 'run', file, '--out', join(tmp, 'x'), '--jobs', '0']);
    assert.equal(bad.code, 2);
    assert.match(bad.err, /--jobs must be an integer/);
  });

  test('interrupted mid-way, then rerun: the same results as an uninterrupted run', async () => {
    const out = join(tmp, 'interrupted');
    const ac = new AbortController();
    // Stop at the first epoch of a fine-tune from the pretrained encoder: it checkpoints and stops,
    // and the rerun resumes it from that checkpoint (its config holds `from`).
    const pretrained = new Set(plan.finetunes.filter((f) => f.pretrain !== null).map((f) => f.key));
    const first = await runStudy(plan, {
      out,
      jobs: 2,
      signal: ac.signal,
      onEvent: (e) => {
        if (e.type === 'progress' && pretrained.has(e.key)) ac.abort();
      },
    });
    assert.ok(first.interrupted && !first.completed);
    assert.deepEqual(first.failed, []);
    const partial = lines(out);
    assert.ok(partial.length >= 2 && partial.length < 5, `${partial.length} recorded`);
    // A fine-tune from the pretrained encoder stopped with a checkpoint, its result not recorded.
    const stopped = plan.finetunes.filter(
      (f) =>
        f.pretrain !== null &&
        !partial.some((r) => r.key === f.key) &&
        existsSync(join(runDir(out, 'finetune', f.key), `seed-${f.seed}`, 'checkpoint.mgck')),
    );
    assert.ok(stopped.length >= 1, 'no interrupted fine-tune left to resume');
    const second = await runStudy(plan, { out, jobs: 1 });
    assert.ok(second.completed);
    assert.equal(second.skipped, partial.length);
    assert.equal(second.recorded, 5 - partial.length);
    const all = lines(out);
    assert.equal(new Set(all.map((r) => r.key)).size, all.length, 'a key recorded twice');
    assert.deepEqual(testScores(all), testScores(fullResults));
    const pre = (rs: RunResult[]) => rs.find((r) => r.kind === 'pretrain')!.metrics['finalTrainLoss'];
    assert.equal(pre(all), pre(fullResults));
    assert.ok(existsSync(join(out, 'index.json')));
  });
});
