// Every registry encoder with every objective (issue: "any encoder can be pretrained with any
// objective, then fine-tuned"): one epoch on 40 fixture molecules gives finite losses, the encoder
// file it writes names the architecture and holds no head, and `finetune --from` it (frozen) keeps
// the architecture and every weight.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { loadRDKit } from '../src/chem/rdkit.js';
import { ENCODERS } from '../src/models/encoders/registry.js';
import { loadEncoderFile } from '../src/models/model-file-node.js';
import { buildVocabsFromFile } from '../src/pretrain/grover/build.js';
import { saveVocabPair } from '../src/pretrain/grover/vocab.js';
import { OBJECTIVES } from '../src/pretrain/objectives/index.js';
import { prepareShards, type ShardIndex } from '../src/pretrain/shards.js';
import { DEFAULT_TRAINER_CONFIG, type ObjectiveRun, pretrainObjective } from '../src/pretrain/trainer.js';
import { finetuneFrozen } from './helpers/frozen-finetune.js';
import { assertSameRun, stopAfterBatches } from './helpers/pretrain-corpus.js';
import { REPO_ROOT } from './helpers/shared-data.js';

const MOLS = join(REPO_ROOT, 'test/fixtures/grover-pretrain/mols.csv');
const tmp = mkdtempSync(join(tmpdir(), 'molgrove-every-encoder-'));
const vocab = join(tmp, 'vocab');
let plain: { dir: string; index: ShardIndex };
let labelled: { dir: string; index: ShardIndex };

before(async () => {
  await loadRDKit();
  // 40 molecules, and the same with one task ("has a nitrogen") for the supervised objective.
  const smiles = readFileSync(MOLS, 'utf8')
    .trim()
    .split('\n')
    .slice(1, 41)
    .map((l) => l.split(',')[0]!);
  writeFileSync(join(tmp, 'mols.csv'), `smiles\n${smiles.join('\n')}\n`);
  writeFileSync(
    join(tmp, 'lab.csv'),
    `smiles,hasN\n${smiles.map((s) => `${s},${/N/.test(s) ? 1 : 0}`).join('\n')}\n`,
  );
  plain = {
    dir: join(tmp, 'shards'),
    index: await prepareShards(join(tmp, 'mols.csv'), join(tmp, 'shards')),
  };
  labelled = {
    dir: join(tmp, 'shards-lab'),
    index: await prepareShards(join(tmp, 'lab.csv'), join(tmp, 'shards-lab')),
  };
  const built = await buildVocabsFromFile(join(tmp, 'mols.csv'), { workers: 1 });
  mkdirSync(vocab);
  await saveVocabPair(vocab, built.atom, built.bond);
});
after(() => rmSync(tmp, { recursive: true, force: true }));

test('every encoder × every objective: one epoch, finite losses, an encoder file without the heads', async () => {
  const failures: string[] = [];
  for (const enc of ENCODERS) {
    for (const obj of OBJECTIVES) {
      const data = obj.name === 'supervised' ? labelled : plain;
      const dir = join(tmp, `${enc.name}-${obj.name}`);
      try {
        const res = await pretrainObjective({
          dir,
          shardDir: data.dir,
          index: data.index,
          arch: enc.name,
          encoderOptions: { dim: 8, layers: 2, heads: 2, dropout: 0 },
          objective: obj.name,
          objectiveOptions: obj.name === 'grover-context' ? { vocab } : {},
          config: { ...DEFAULT_TRAINER_CONFIG, epochs: 1, batchSize: 16, checkpointEvery: 0 },
          inline: true,
        });
        const s = res.summary!;
        if (!(res.completed && Number.isFinite(s.finalTrainLoss) && Number.isFinite(s.finalValidLoss)))
          failures.push(`${enc.name} × ${obj.name}: losses ${s.finalTrainLoss} / ${s.finalValidLoss}`);
        const file = await loadEncoderFile(join(dir, 'pretrained.mgv'));
        if (file.description.arch !== enc.name)
          failures.push(`${enc.name} × ${obj.name}: file says ${file.description.arch}`);
        if (Object.keys(file.state).some((k) => k.startsWith('head.')))
          failures.push(`${enc.name} × ${obj.name}: objective heads in the encoder file`);
      } catch (err) {
        failures.push(`${enc.name} × ${obj.name}: ${(err as Error).message}`);
      }
    }
  }
  assert.deepEqual(failures, []);
});

test('every objective: stopped mid-epoch and resumed, the run is the uninterrupted one, byte for byte', async () => {
  for (const obj of OBJECTIVES) {
    const data = obj.name === 'supervised' ? labelled : plain;
    const run = (dir: string, extra: Partial<ObjectiveRun> = {}) =>
      pretrainObjective({
        dir,
        shardDir: data.dir,
        index: data.index,
        arch: 'gin',
        encoderOptions: { dim: 8, layers: 2, dropout: 0.1 },
        objective: obj.name,
        objectiveOptions: obj.name === 'grover-context' ? { vocab } : {},
        config: { ...DEFAULT_TRAINER_CONFIG, epochs: 2, batchSize: 8, logEvery: 1, checkpointEvery: 0 },
        inline: true,
        ...extra,
      });
    const full = join(tmp, `resume-full-${obj.name}`);
    assert.ok((await run(full)).completed);
    const part = join(tmp, `resume-part-${obj.name}`);
    const stopped = await run(part, stopAfterBatches(3));
    assert.equal(stopped.completed, false, obj.name);
    assert.ok((await run(part)).completed, obj.name);
    assertSameRun(part, full, obj.name);
  }
});

test('every encoder: finetune --from the pretrained file (frozen) keeps its architecture and weights', async () => {
  for (const enc of ENCODERS) {
    const dir = join(tmp, `ft-${enc.name}`);
    mkdirSync(dir);
    const { arch, pre, tuned } = await finetuneFrozen(
      join(tmp, `${enc.name}-attrmask`, 'pretrained.mgv'),
      dir,
    );
    assert.equal(arch, enc.name);
    for (const [k, t] of Object.entries(pre.state))
      assert.deepEqual(tuned.state[k]!.data, t.data, `${enc.name} ${k}`);
  }
});
