// The featurized-shard cache (src/pretrain/shard-cache.ts): a run with it writes each shard's file
// once, reads it back in later epochs (and later runs) and ends byte-identical to a run without it,
// inline and on the worker, for the generic trainer and for GROVER's own; another featurizer,
// labels or vocabulary content gets another folder; a corrupt or truncated file is replaced.

import assert from 'node:assert/strict';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { GROVER_PRESETS } from '../src/models/grover/encoder.js';
import { buildVocabsFromFile } from '../src/pretrain/grover/build.js';
import { featurizeShard } from '../src/pretrain/grover/data.js';
import { groverAdapter } from '../src/pretrain/grover/model.js';
import { DEFAULT_PRETRAIN_CONFIG, pretrainGrover } from '../src/pretrain/grover/pretrain.js';
import type { Vocab } from '../src/pretrain/grover/vocab.js';
import { LOSS_FILE, PRETRAINED_FILE, type PretrainEvent } from '../src/pretrain/loop.js';
import {
  graphShardCache,
  groverShardCache,
  SHARD_CACHE_FOLDER,
  type ShardCache,
} from '../src/pretrain/shard-cache.js';
import type { ShardRows } from '../src/pretrain/shards.js';
import { FIXTURE_MOLS, type SmallRun, useFixtureCorpus } from './helpers/pretrain-corpus.js';

let vocab: { atom: Vocab; bond: Vocab };
const corpus = useFixtureCorpus('molgrove-shard-cache-', async () => {
  const built = await buildVocabsFromFile(FIXTURE_MOLS, { workers: 1 });
  vocab = { atom: built.atom, bond: built.bond };
});
const { tmp, shardDir } = corpus;

const gin = { arch: 'gin', encoderOptions: { dim: 16, layers: 1 } } as const;
const config = { epochs: 3, batchSize: 8, seed: 3 };

/** A run's results: its loss curve and encoder file, byte for byte. */
function outputs(dir: string): { loss: string; model: Buffer } {
  return {
    loss: readFileSync(join(dir, LOSS_FILE), 'utf8'),
    model: readFileSync(join(dir, PRETRAINED_FILE)),
  };
}

/** Runs with shard events recorded as `epoch:shard:cached|featurized`. */
async function recorded(run: SmallRun): Promise<string[]> {
  const shards: string[] = [];
  const onEvent = (e: PretrainEvent) => {
    if (e.type === 'shard') shards.push(`${e.epoch}:${e.shard}:${e.cached ? 'cached' : 'featurized'}`);
  };
  const res = await corpus.run({ ...run, onEvent });
  assert.ok(res.completed);
  return shards;
}

/** The shard files a cache folder should hold, and each file's inode + mtime (rewritten ⇒ changed). */
function cacheFiles(cache: ShardCache<unknown>): Map<string, string> {
  const names = [
    ...corpus.index.train.map((_, i) => `train-${i}.bin`),
    ...corpus.index.valid.map((_, i) => `valid-${i}.bin`),
  ];
  const out = new Map<string, string>();
  for (const n of names) {
    const s = statSync(join(cache.dir, n));
    out.set(n, `${s.ino}:${s.mtimeMs}`);
  }
  assert.deepEqual(
    readdirSync(cache.dir)
      .filter((f) => f.endsWith('.bin'))
      .sort(),
    [...names].sort(),
    'one file per shard, no temp files left',
  );
  return out;
}

const graphCache = (featurizer: string, labels: ('motifs' | 'atomContext' | 'bondContext')[], options = {}) =>
  graphShardCache(shardDir, corpus.index, featurizer, labels, options) as Promise<ShardCache<unknown>>;

test('motif, inline: the first epoch featurizes and writes, later epochs and runs read back, byte-identical', async () => {
  const run = { ...gin, objective: 'motif', config, inline: true };
  await corpus.run({ ...run, dir: join(tmp, 'motif-plain'), cache: false });
  const cache = await graphCache('hu', ['motifs']);
  assert.equal(existsSync(join(shardDir, SHARD_CACHE_FOLDER)), false, 'cache: false writes nothing');

  const first = await recorded({ ...run, dir: join(tmp, 'motif-cached') });
  const trainShards = corpus.index.train.length;
  assert.ok(trainShards >= 2 && corpus.index.valid.length >= 1);
  assert.equal(first.length, 3 * trainShards);
  first.forEach((s) => {
    assert.equal(s.endsWith(':cached'), !s.startsWith('0:'), s);
  });
  assert.deepEqual(outputs(join(tmp, 'motif-cached')), outputs(join(tmp, 'motif-plain')));
  const files = cacheFiles(cache);

  // A second run featurizes nothing, validation shards included (no file is rewritten).
  const second = await recorded({ ...run, dir: join(tmp, 'motif-again') });
  assert.ok(second.every((s) => s.endsWith(':cached')));
  assert.deepEqual(cacheFiles(cache), files);
  assert.deepEqual(outputs(join(tmp, 'motif-again')), outputs(join(tmp, 'motif-plain')));
});

test('attrmask on the worker: its own folder, written once, byte-identical to the inline run without cache', async () => {
  const run = { ...gin, objective: 'attrmask', config };
  await corpus.run({ ...run, dir: join(tmp, 'attr-plain'), inline: true, cache: false });
  const shards = await recorded({ ...run, dir: join(tmp, 'attr-worker') });
  assert.ok(shards.every((s) => s.endsWith(s.startsWith('0:') ? ':featurized' : ':cached')));
  assert.deepEqual(outputs(join(tmp, 'attr-worker')), outputs(join(tmp, 'attr-plain')));
  const cache = await graphCache('hu', []);
  cacheFiles(cache);
  assert.notEqual(cache.dir, (await graphCache('hu', ['motifs'])).dir);
  // Read back on the worker path too: nothing featurized, same results.
  const again = await recorded({ ...run, dir: join(tmp, 'attr-worker-again') });
  assert.ok(again.every((s) => s.endsWith(':cached')));
  assert.deepEqual(outputs(join(tmp, 'attr-worker-again')), outputs(join(tmp, 'attr-plain')));
});

test('the key follows the featurizer, the labels and the vocabulary content (not its path)', async () => {
  const vocabDir = (name: string, content: string) => {
    const dir = join(tmp, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'atom_vocab.json'), `${content}-atom`);
    writeFileSync(join(dir, 'bond_vocab.json'), `${content}-bond`);
    return dir;
  };
  const a = vocabDir('vocab-a', 'one');
  const sameContent = vocabDir('vocab-b', 'one');
  const other = vocabDir('vocab-c', 'two');
  const ctx = ['atomContext', 'bondContext'] as ('atomContext' | 'bondContext')[];
  const key = async (f: string, labels: typeof ctx | ['motifs'] | [], o = {}) =>
    (await graphCache(f, labels, o)).key;
  const keys = [
    await key('hu', []),
    await key('grover', []),
    await key('hu', ['motifs']),
    await key('hu', ctx, { vocab: a }),
    await key('hu', ctx, { vocab: other }),
  ];
  assert.equal(new Set(keys).size, keys.length, keys.join(' '));
  assert.equal(await key('hu', ctx, { vocab: sameContent }), await key('hu', ctx, { vocab: a }));
  // Options the labels do not read leave the key alone; a GROVER cache differs from them all.
  assert.equal(await key('hu', ['motifs'], { maskRate: 0.3 }), await key('hu', ['motifs']));
  assert.ok(!keys.includes(groverShardCache(shardDir, corpus.index, vocab).key));
  assert.match(keys[0]!, /^[0-9a-f]{16}$/);
});

test('a corrupt or truncated cache file is featurized again, replaced, and the run still matches', async () => {
  const run = { ...gin, objective: 'motif', config, inline: true };
  const cache = await graphCache('hu', ['motifs']);
  if (!existsSync(cache.path('train-0'))) await corpus.run({ ...run, dir: join(tmp, 'corrupt-fill') });
  const flipped = cache.path('train-0');
  const bytes = readFileSync(flipped);
  bytes[bytes.length - 3]! ^= 0x10;
  writeFileSync(flipped, bytes);
  const cut = cache.path('valid-0');
  truncateSync(cut, Math.floor(statSync(cut).size / 2));
  const shards = await recorded({ ...run, dir: join(tmp, 'motif-corrupt') });
  assert.deepEqual(
    shards.filter((s) => s.endsWith(':featurized')),
    ['0:0:featurized'],
  );
  if (!existsSync(join(tmp, 'motif-plain')))
    await corpus.run({ ...run, dir: join(tmp, 'motif-plain'), cache: false });
  assert.deepEqual(outputs(join(tmp, 'motif-corrupt')), outputs(join(tmp, 'motif-plain')));
  // Both files were rewritten whole and read back now.
  const rows = (i: number) => corpus.index.train[i]!.rows;
  assert.notEqual(await cache.read('train-0', rows(0)), null);
  assert.notEqual(await cache.read('valid-0', corpus.index.valid[0]!.rows), null);
  // A file of another shard's row count is refused (and deleted), never used.
  assert.equal(await cache.read('train-0', rows(0) + 1), null);
  assert.equal(existsSync(cache.path('train-0')), false);
});

test("GROVER's pretraining: featurized once per shard with the cache, byte-identical to a run without", async () => {
  let calls = 0;
  const featurize = (rows: ShardRows, v: { atom: Vocab; bond: Vocab }) => {
    calls++;
    return featurizeShard(rows.rows, rows.smiles, v);
  };
  const grover = (dir: string, cache: boolean) =>
    pretrainGrover({
      dir: join(tmp, dir),
      shardDir,
      index: corpus.index,
      vocab,
      config: {
        ...DEFAULT_PRETRAIN_CONFIG,
        epochs: 3,
        batchSize: 8,
        warmupEpochs: 1,
        logEvery: 2,
        checkpointEvery: 0,
      },
      makeAdapter: groverAdapter({ ...GROVER_PRESETS.tiny, dropout: 0.1 }),
      featurize,
      cache,
    });
  const shards = corpus.index.train.length + corpus.index.valid.length;
  await grover('grover-plain', false);
  assert.equal(calls, 3 * shards);
  calls = 0;
  await grover('grover-cached', true);
  assert.equal(calls, shards);
  assert.deepEqual(outputs(join(tmp, 'grover-cached')), outputs(join(tmp, 'grover-plain')));
  cacheFiles(groverShardCache(shardDir, corpus.index, vocab) as ShardCache<unknown>);
  calls = 0;
  await grover('grover-again', true);
  assert.equal(calls, 0);
  assert.deepEqual(outputs(join(tmp, 'grover-again')), outputs(join(tmp, 'grover-plain')));
});
