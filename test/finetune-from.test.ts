// Fine-tuning from a pretrained encoder: an encoder file or a fine-tuned model file as the source,
// its architecture and featurizer taking over, its weights loaded, a frozen encoder (or one with
// learning-rate scale 0) left exactly as loaded while the head trains, and clear errors.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

import { ConfigError, MolgroveError } from '../src/errors.js';
import { createEncoder, DEFAULT_ENCODER_OPTIONS } from '../src/models/encoders/registry.js';
import { inputSpecFor } from '../src/models/inputs.js';
import { loadEncoderFile, loadModelFile, saveEncoderFile } from '../src/models/model-file-node.js';
import type { StateDict } from '../src/models/module.js';
import * as T from '../src/tensor/index.js';
import { resolveConfig } from '../src/train/config.js';
import type { TrainEvent } from '../src/train/events.js';
import { finetune } from '../src/train/finetune.js';
import { writeAromaticCsv } from './helpers/molecules.js';

const tmp = mkdtempSync(join(tmpdir(), 'molgrove-from-'));
process.env['MOLGROVE_CACHE_DIR'] = join(tmp, 'cache');
after(() => rmSync(tmp, { recursive: true, force: true }));

const csv = writeAromaticCsv(join(tmp, 'aromatic.csv'));
const base = { csv, split: 'random', sizes: [0.6, 0.2, 0.2], epochs: 2, hidden: 16, layers: 2, seeds: [0] };

/** The encoder tensors of a run's model file, by path relative to the encoder. */
async function encoderOf(modelPath: string): Promise<StateDict> {
  return (await loadEncoderFile(modelPath)).state;
}
function assertSameState(a: StateDict, b: StateDict, what: string): void {
  assert.deepEqual(Object.keys(a).sort(), Object.keys(b).sort(), what);
  for (const k of Object.keys(a)) assert.deepEqual(a[k]!.data, b[k]!.data, `${what}: ${k}`);
}

test('an encoder file decides the architecture; frozen or at lr scale 0 its weights stay as loaded', async () => {
  // A GCN encoder with known weights, saved as a pretrained encoder (batch norm off: no running stats).
  const options = { ...DEFAULT_ENCODER_OPTIONS, dim: 16, layers: 2, norm: 'none' as const, dropout: 0 };
  const input = inputSpecFor('hu', 2, 2);
  const encoder = createEncoder('gcn', input, options, new T.Rng(42));
  const file = join(tmp, 'gcn.mgv');
  await saveEncoderFile(
    file,
    encoder,
    { arch: 'gcn', options, featurizer: 'hu', input },
    { objective: 'test' },
  );
  const saved = (await loadEncoderFile(file)).state;
  assert.equal((await loadEncoderFile(file)).info['objective'], 'test');

  for (const layer of [{ freezeEncoder: true }, { encoderLrScale: 0 }]) {
    const dir = join(tmp, `gcn-${Object.keys(layer)[0]}`);
    // The config says gin (the default); the file's gcn wins.
    const s = await finetune(resolveConfig([{ ...base, from: file, ...layer }]), dir, {
      noCache: true,
      jobs: 1,
    });
    assert.equal(s.arch, 'gcn');
    const { model } = await loadModelFile(join(dir, 'seed-0', 'model.mgv'));
    assert.equal(model.spec.encoder?.arch, 'gcn');
    assert.equal(model.spec.encoder?.options.dropout, 0);
    assertSameState(await encoderOf(join(dir, 'seed-0', 'model.mgv')), saved, JSON.stringify(layer));
  }

  // Trained normally, the encoder moves away from the file's weights.
  const dir = join(tmp, 'gcn-trained');
  await finetune(resolveConfig([{ ...base, from: file, dropout: 0.1 }]), dir, { noCache: true, jobs: 1 });
  const trained = await encoderOf(join(dir, 'seed-0', 'model.mgv'));
  assert.ok(Object.keys(saved).some((k) => trained[k]!.data.some((v, i) => v !== saved[k]!.data[i])));
  const { model } = await loadModelFile(join(dir, 'seed-0', 'model.mgv'));
  assert.equal(model.spec.encoder?.options.dropout, 0.1, 'dropout stays a fine-tuning choice');
});

test('a run resumes from the same encoder moved elsewhere, and refuses another encoder at the same path', async () => {
  const options = { ...DEFAULT_ENCODER_OPTIONS, dim: 16, layers: 2, norm: 'none' as const, dropout: 0 };
  const input = inputSpecFor('hu', 2, 2);
  const save = (path: string, seed: number) =>
    saveEncoderFile(path, createEncoder('gin', input, options, new T.Rng(seed)), {
      arch: 'gin',
      options,
      featurizer: 'hu',
      input,
    });
  mkdirSync(join(tmp, 'site-a'));
  await save(join(tmp, 'site-a', 'enc.mgv'), 1);
  const dir = join(tmp, 'moved-run');
  const config = (from: string) => resolveConfig([{ ...base, from, epochs: 3 }]);
  const ctrl = new AbortController();
  await assert.rejects(
    finetune(config(join(tmp, 'site-a', 'enc.mgv')), dir, {
      noCache: true,
      jobs: 1,
      signal: ctrl.signal,
      onEvent: (e) => {
        if (e.type === 'epoch' && e.epoch === 0) ctrl.abort();
      },
    }),
    (e: unknown) => e instanceof MolgroveError,
  );
  // The folder holding the encoder is renamed, as when a study folder moves or a worker mounts it elsewhere.
  renameSync(join(tmp, 'site-a'), join(tmp, 'site-b'));
  const moved = join(tmp, 'site-b', 'enc.mgv');
  const events: TrainEvent[] = [];
  await finetune(config(moved), dir, { noCache: true, jobs: 1, onEvent: (e) => events.push(e) });
  assert.ok(
    events.some((e) => e.type === 'resume' && e.epoch === 1),
    'resumed after epoch 0',
  );

  await save(moved, 2);
  await assert.rejects(finetune(config(moved), dir, { noCache: true, jobs: 1 }), ConfigError);
});

test("a fine-tuned model file is a source too: its encoder's weights, frozen, come through unchanged", async () => {
  const first = join(tmp, 'first');
  await finetune(resolveConfig([{ ...base, norm: 'none' }]), first, { noCache: true, jobs: 1 });
  const source = join(first, 'seed-0', 'model.mgv');
  const second = join(tmp, 'second');
  await finetune(resolveConfig([{ ...base, from: source, freezeEncoder: true, seeds: [3] }]), second, {
    noCache: true,
    jobs: 1,
  });
  assertSameState(
    await encoderOf(join(second, 'seed-3', 'model.mgv')),
    await encoderOf(source),
    'model file',
  );
});

test('bad sources fail clearly', async () => {
  await assert.rejects(
    finetune(resolveConfig([{ ...base, from: join(tmp, 'missing.mgv') }]), join(tmp, 'x1'), {
      noCache: true,
    }),
    (e: unknown) => e instanceof MolgroveError && e.code === 'IO' && /missing\.mgv/.test(e.message),
  );
  const notModel = join(tmp, 'not-a-model.mgv');
  writeFileSync(notModel, 'hello');
  await assert.rejects(
    finetune(resolveConfig([{ ...base, from: notModel }]), join(tmp, 'x2'), { noCache: true }),
    (e: unknown) => e instanceof MolgroveError && e.code === 'CHECKPOINT' && /not-a-model/.test(e.message),
  );
  await assert.rejects(
    finetune(resolveConfig([{ ...base, arch: 'ecfp', from: notModel }]), join(tmp, 'x3'), { noCache: true }),
    (e: unknown) => e instanceof ConfigError && /ecfp/.test(e.message),
  );
});
