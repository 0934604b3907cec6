/** Study definitions, their expansion into runs, run keys, the results store and `study plan`. */
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ConfigError } from '../src/errors.js';
import { parseStudy, type StudyInput } from '../src/study/definition.js';
import { canonicalJson, runKey } from '../src/study/keys.js';
import { planStudy } from '../src/study/plan.js';
import { loadStudy } from '../src/study/presets.js';
import { INDEX_FILE, RESULTS_FILE, ResultStore } from '../src/study/store.js';
import { resolveConfig } from '../src/train/config.js';
import { runCli } from './helpers/cli.js';

const tmp = mkdtempSync(join(tmpdir(), 'molgrove-study-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const small: StudyInput = {
  name: 'small',
  datasets: ['bbbp', 'bace', 'sider'],
  seeds: [0, 1, 2],
  axes: { objective: ['none', 'attrmask'], split: ['scaffold', 'balanced_scaffold'] },
  finetune: { epochs: 2, hidden: 32, layers: 2 },
  pretrain: { corpus: 'zinc250k-jtvae-test', epochs: 1 },
};

function errorOf(value: unknown): string {
  try {
    parseStudy(value, 'bad.yaml');
  } catch (e) {
    assert.ok(e instanceof ConfigError, String(e));
    return e.message;
  }
  assert.fail('expected a ConfigError');
}

describe('study definition', () => {
  test('unknown axis: located, lists the valid axes', () => {
    const m = errorOf({ ...small, axes: { objectiv: ['none'] } });
    assert.match(m, /^bad\.yaml: axes\.objectiv: unknown axis 'objectiv'; valid axes: objective, features, /);
    assert.match(m, /pretrain\.epochs/);
  });
  test('bad axis value: located by index', () => {
    const m = errorOf({ ...small, axes: { split: ['scaffold', 'scafold'], lr: [0.001, -1] } });
    assert.match(m, /axes\.split\.1: unknown split method 'scafold'/);
    assert.match(m, /axes\.lr\.1: /);
    assert.match(
      errorOf({ ...small, axes: { objective: ['none', 'attrmsk'] } }),
      /axes\.objective\.1: unknown objective/,
    );
  });
  test('baseline must be a value of its axis, and an axis', () => {
    assert.match(
      errorOf({ ...small, baseline: { objective: 'motif' } }),
      /baseline\.objective: "motif" is not among the axis's values \("none", "attrmask"\)/,
    );
    assert.match(
      errorOf({ ...small, baseline: { features: 'basic' } }),
      /baseline\.features: 'features' is not an axis/,
    );
    assert.match(
      errorOf({ ...small, axes: { objective: ['attrmask', 'motif'] } }),
      /baseline: give a baseline/,
    );
  });
  test('missing datasets, unknown dataset, unknown keys', () => {
    const { datasets: _, ...rest } = small;
    assert.match(errorOf(rest), /datasets: /);
    assert.match(errorOf({ ...small, datasets: ['bbbp', 'nope'] }), /datasets\.1: unknown dataset 'nope'/);
    assert.match(errorOf({ ...small, finetune: { epochz: 3 } }), /finetune\.epochz: unknown fine-tuning key/);
    assert.match(
      errorOf({ ...small, finetune: { seeds: [1] } }),
      /finetune\.seeds: 'seeds' is set by the study/,
    );
    assert.match(errorOf({ ...small, pretrain: { corpus: 'x', epoch: 1 } }), /pretrain: .*epoch/);
  });
  test('seeds as a count; baseline defaults to objective none', () => {
    const s = parseStudy({ ...small, seeds: 4 });
    assert.deepEqual(s.seeds, [0, 1, 2, 3]);
    assert.deepEqual(s.baseline, { axis: 'objective', value: 'none' });
  });
});

describe('study plan', () => {
  test('2 objectives × 2 splits × 3 datasets × 3 seeds = 36 fine-tunes, 1 shared pretraining', () => {
    const plan = planStudy(parseStudy(small));
    assert.equal(plan.finetunes.length, 36);
    assert.equal(new Set(plan.finetunes.map((f) => f.key)).size, 36);
    assert.equal(plan.pretrains.length, 1);
    const p = plan.pretrains[0]!;
    assert.equal(p.usedBy, 18);
    assert.equal(p.config.encoder.dim, 32);
    assert.equal(p.config.encoder.layers, 2);
    assert.equal(p.config.featurizer, 'hu');
    assert.deepEqual(
      p.config.stages.map((s) => [s.objective, s.input, s.epochs, s.batchSize]),
      [['attrmask', 'zinc250k-jtvae-test', 1, 256]],
    );
    for (const f of plan.finetunes) {
      assert.equal(f.pretrain, f.axes['objective'] === 'none' ? null : p.key);
      // Resolved exactly as `molgrove finetune` would, seeded splits following the run seed.
      const balanced = f.axes['split'] === 'balanced_scaffold';
      assert.equal(f.config.splitSeeds, balanced);
      assert.deepEqual(f.config.seeds, [f.seed]);
      assert.deepEqual(
        f.config,
        resolveConfig([
          { epochs: 2, hidden: 32, layers: 2, split: f.axes['split'], splitSeeds: balanced },
          { dataset: f.dataset, seeds: [f.seed] },
        ]),
      );
    }
  });
  test('one pretraining per distinct configuration; width, features and sequences count', () => {
    const plan = planStudy(
      parseStudy({
        ...small,
        datasets: ['bbbp', 'bace'],
        axes: {
          objective: ['none', 'attrmask', 'attrmask+supervised'],
          hidden: [32, 64],
          features: ['basic', 'rich'],
          split: ['scaffold', 'balanced_scaffold'],
        },
        pretrain: { corpus: 'zinc250k-jtvae-test', supervisedInput: 'muv', epochs: 1 },
      }),
    );
    assert.equal(plan.finetunes.length, 3 * 2 * 2 * 2 * 2 * 3);
    assert.equal(plan.pretrains.length, 2 * 2 * 2);
    for (const p of plan.pretrains) assert.equal(p.usedBy, 2 * 2 * 3);
    const seq = plan.pretrains.find((p) => p.config.stages.length === 2 && p.config.featurizer === 'grover')!;
    const [mask, sup] = seq.config.stages;
    assert.equal(mask!.input, 'zinc250k-jtvae-test');
    assert.deepEqual(mask!.exclude, []);
    // Supervised stage: the labelled input, the downstream sets excluded, hu2020's batch 32, dropout 0.2.
    assert.deepEqual(
      [sup!.input, sup!.exclude, sup!.batchSize, sup!.dropout],
      ['muv', ['bbbp', 'bace'], 32, 0.2],
    );
    const rich = plan.finetunes.find((f) => f.axes['features'] === 'rich')!;
    assert.equal(rich.config.features, 'grover');
    assert.equal(rich.config.molFeatures, 'rdkit2d_normalized');
  });
  test('supervised input that is also excluded is refused', () => {
    assert.throws(
      () =>
        planStudy(
          parseStudy({
            ...small,
            axes: { objective: ['none', 'supervised'] },
            pretrain: { supervisedInput: 'bbbp' },
          }),
        ),
      /supervised input 'bbbp' is also excluded/,
    );
  });
});

describe('run keys', () => {
  test('canonical JSON sorts keys at every depth', () => {
    assert.equal(
      canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 1 }], c: null } }),
      '{"a":{"c":null,"d":[1,{"e":1,"f":2}]},"b":1}',
    );
    assert.equal(canonicalJson({ a: undefined, b: -0 }), '{"b":0}');
    assert.throws(() => canonicalJson({ a: Number.NaN }), ConfigError);
  });
  test('stable under key order and whitespace; different when any setting differs', () => {
    assert.equal(runKey('finetune', { a: 1, b: [1, 2] }), runKey('finetune', { b: [1, 2], a: 1 }));
    assert.notEqual(runKey('finetune', { a: 1 }), runKey('pretrain', { a: 1 }));
    assert.match(runKey('finetune', {}), /^[0-9a-f]{16}$/);
    const yaml = join(tmp, 'a.yaml');
    writeFileSync(
      yaml,
      'name: small\ndatasets: [bbbp, bace, sider]\nseeds: [0, 1, 2]\naxes:\n  objective: [none, attrmask]\n' +
        '  split: [scaffold, balanced_scaffold]\nfinetune: { epochs: 2, hidden: 32, layers: 2 }\n' +
        'pretrain: { corpus: zinc250k-jtvae-test, epochs: 1 }\n',
    );
    const json = join(tmp, 'a.json');
    writeFileSync(
      json,
      JSON.stringify(
        {
          pretrain: { epochs: 1, corpus: 'zinc250k-jtvae-test' },
          finetune: { layers: 2, hidden: 32, epochs: 2 },
          axes: small.axes,
          seeds: [0, 1, 2],
          datasets: ['bbbp', 'bace', 'sider'],
          name: 'small',
        },
        null,
        7,
      ),
    );
    const keys = (file: string) => planStudy(loadStudy({ file })).finetunes.map((f) => f.key);
    assert.deepEqual(keys(yaml), keys(json));
    const base = planStudy(parseStudy(small));
    const variants: StudyInput[] = [
      { ...small, finetune: { ...small.finetune, lr: 0.002 } },
      { ...small, finetune: { ...small.finetune, dropout: 0.1 } },
      { ...small, pretrain: { ...small.pretrain, epochs: 2 } },
      { ...small, pretrain: { ...small.pretrain, options: { attrmask: { maskRate: 0.3 } } } },
      { ...small, pretrain: { ...small.pretrain, corpus: 'zinc250k-jtvae-valid' } },
    ];
    const baseKeys = new Set([...base.finetunes.map((f) => f.key), ...base.pretrains.map((p) => p.key)]);
    for (const [i, v] of variants.entries()) {
      const plan = planStudy(parseStudy(v));
      const pretrained = plan.finetunes.filter((f) => f.pretrain !== null);
      assert.ok(
        pretrained.every((f) => !baseKeys.has(f.key)),
        `variant ${i}: fine-tune keys changed`,
      );
      // Fine-tuning-only changes leave the pretraining as it was; pretraining changes change it.
      assert.equal(baseKeys.has(plan.pretrains[0]!.key), i < 2, `variant ${i}: pretraining key`);
    }
  });
});

describe('results store', () => {
  const result = (key: string, test = 0.7) => ({
    key,
    kind: 'finetune' as const,
    config: { key },
    metrics: { test, valid: 0.8, metric: 'roc-auc' },
    seconds: 12,
  });
  test('append, idempotent record, reopen', async () => {
    const dir = join(tmp, 'store1');
    const store = await ResultStore.open(dir);
    assert.equal(await store.record(result('a')), true);
    assert.equal(await store.record(result('b')), true);
    assert.equal(await store.record(result('a', 0.1)), false);
    const lines = readFileSync(join(dir, RESULTS_FILE), 'utf8').trim().split('\n');
    assert.equal(lines.length, 2);
    const again = await ResultStore.open(dir);
    assert.deepEqual(
      again.results().map((r) => r.key),
      ['a', 'b'],
    );
    assert.equal(again.get('a')?.metrics['test'], 0.7);
    assert.match(again.get('a')!.version, /^\d+\.\d+\.\d+/);
    assert.ok(!Number.isNaN(Date.parse(again.get('a')!.finishedAt)));
    // Two store objects on one folder (two processes): the second sees the first's line.
    assert.equal(await again.record(result('c')), true);
    assert.equal(await store.record(result('c')), false);
  });
  test('a torn last line is ignored with a warning, and the next record is intact', async () => {
    const dir = join(tmp, 'store2');
    const store = await ResultStore.open(dir);
    await store.record(result('a'));
    appendFileSync(join(dir, RESULTS_FILE), '{"key":"b","kind":"finet');
    const reopened = await ResultStore.open(dir);
    assert.deepEqual(
      reopened.results().map((r) => r.key),
      ['a'],
    );
    assert.match(reopened.warnings.join('\n'), /last line is incomplete/);
    assert.equal(await reopened.record(result('b')), true);
    const third = await ResultStore.open(dir);
    assert.deepEqual(
      third.results().map((r) => r.key),
      ['a', 'b'],
    );
    assert.match(third.warnings.join('\n'), /line 2 is not JSON/);
  });
  test('index.json rebuilt when missing or stale', async () => {
    const dir = join(tmp, 'store3');
    const store = await ResultStore.open(dir);
    await store.record(result('a'));
    await store.record(result('b'));
    const index = () => JSON.parse(readFileSync(join(dir, INDEX_FILE), 'utf8'));
    assert.deepEqual(Object.keys(index().entries), ['a', 'b']);
    assert.equal(index().entries.b.line, 1);
    unlinkSync(join(dir, INDEX_FILE));
    await ResultStore.open(dir);
    assert.deepEqual(Object.keys(index().entries), ['a', 'b']);
    // Another writer appended without updating the index: stale, rebuilt on open.
    appendFileSync(
      join(dir, RESULTS_FILE),
      `${JSON.stringify({ ...result('c'), version: '0.0.1', finishedAt: 'x' })}\n`,
    );
    await ResultStore.open(dir);
    assert.deepEqual(Object.keys(index().entries), ['a', 'b', 'c']);
    assert.equal(index().entries.c.version, '0.0.1');
  });
  test('pending: the planned runs not finished', async () => {
    const plan = planStudy(parseStudy(small));
    const store = await ResultStore.open(join(tmp, 'store4'));
    await store.record({ ...result(plan.pretrains[0]!.key), kind: 'pretrain' });
    for (const f of plan.finetunes.slice(0, 5)) await store.record(result(f.key));
    const p = store.pending(plan);
    assert.equal(p.pretrains.length, 0);
    assert.equal(p.finetunes.length, 31);
    assert.deepEqual(
      p.finetunes.map((f) => f.key),
      plan.finetunes.slice(5).map((f) => f.key),
    );
  });
});

describe('molgrove study plan', () => {
  test('a small file: axes, counts, runs, done count and the estimate source', async () => {
    const file = join(tmp, 'small.yaml');
    writeFileSync(
      file,
      'name: tiny\ndatasets: [bace]\nseeds: 2\naxes:\n  objective: [none, motif]\n' +
        'finetune: { epochs: 2, hidden: 32, layers: 2 }\npretrain: { corpus: zinc250k-jtvae-test, epochs: 1 }\n',
    );
    const plan = planStudy(loadStudy({ file }));
    const out = join(tmp, 'study-out');
    const store = await ResultStore.open(out);
    await store.record({
      ...{ key: plan.finetunes[0]!.key, kind: 'finetune', config: plan.finetunes[0]!.config },
      metrics: { test: 0.7 },
      seconds: 4,
    });
    const r = await runCli(['study', 'plan', file, '--out', out, '--no-calibrate']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^study tiny/);
    assert.match(r.out, /objective: none \(baseline\), motif/);
    assert.match(r.out, /runs: 1 pretrainings, 4 fine-tunes \(done: 0\/1 pretrainings, 1\/4 fine-tunes\)/);
    assert.match(r.out, /motif gin-32x2 hu +zinc250k-jtvae-test +1 +2 +no/);
    for (const f of plan.finetunes) assert.match(r.out, new RegExp(f.key));
    // Every run shares the finished one's model and dataset: the store's seconds price them all.
    assert.match(r.out, /estimated time: .* \(from seconds of finished runs in the results store\)\n$/);
    const fresh = await runCli(['study', 'plan', file, '--no-calibrate']);
    assert.match(fresh.out, /runs: 1 pretrainings, 4 fine-tunes\n/);
    assert.match(fresh.out, /\(from the per-molecule cost table in src\/study\/estimate\.ts\)/);
  });
  test('--preset sun2022: 14 pretrainings, 480 fine-tunes; --set overrides', async () => {
    const r = await runCli(['study', 'plan', '--preset', 'sun2022', '--json', '--no-calibrate']);
    assert.equal(r.code, 0, r.err);
    const j = JSON.parse(r.out);
    assert.deepEqual(j.counts, { pretrains: 14, finetunes: 480, pretrainsDone: 0, finetunesDone: 0 });
    assert.deepEqual(j.datasets, ['bbbp', 'bace', 'tox21', 'toxcast', 'sider']);
    const o = await runCli([
      'study',
      'plan',
      '--preset',
      'sun2022',
      '--set',
      'seeds=5',
      '--set',
      'axes.features=[basic]',
      '--no-calibrate',
    ]);
    assert.equal(o.code, 0, o.err);
    assert.match(o.out, /runs: 7 pretrainings, 400 fine-tunes/);
    const h = await runCli(['study', 'plan', '--preset', 'hu2020', '--json', '--no-calibrate']);
    assert.deepEqual(JSON.parse(h.out).counts.finetunes, 10 * 7 * 3);
  });
  test('a bad file exits 2 naming the location', async () => {
    const file = join(tmp, 'bad.yaml');
    writeFileSync(
      file,
      'name: bad\ndatasets: [bbbp]\naxes:\n  objective: [none, attrmask]\n  colour: [red]\n',
    );
    const r = await runCli(['study', 'plan', file, '--no-calibrate']);
    assert.equal(r.code, 2);
    assert.match(r.err, /bad\.yaml: axes\.colour: unknown axis 'colour'/);
  });
});
