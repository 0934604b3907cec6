/**
 * `molgrove build-vocab`: GROVER's atom and bond contextual-property vocabularies from a SMILES file
 * (GROVER's scripts/build_vocab.py), streamed and counted on worker threads; writes atom_vocab.json
 * and bond_vocab.json (and invalid.csv when rows fail to parse) into --out.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { createGunzip } from 'node:zlib';
import type { Command } from 'commander';
import { stringify } from 'csv-stringify/sync';
import { detectFormat } from '../data/csv.js';
import { ConfigError } from '../errors.js';
import { buildVocabsFromFile } from '../pretrain/grover/build.js';
import { DEFAULT_RADIUS, MAX_RADIUS } from '../pretrain/grover/context.js';
import { saveVocabPair } from '../pretrain/grover/vocab.js';
import { writeFileAtomic } from '../util/atomic.js';
import { printJson, printTable } from './output.js';
import { progressBar } from './progress.js';

interface BuildVocabCliOptions {
  input: string;
  out: string;
  smilesColumn?: string;
  radius: string;
  minFreq: string;
  maxSize?: string;
  workers?: string;
  limit?: string;
  chunkSize?: string;
  strict?: boolean;
  json?: boolean;
}

function integer(name: string, value: string | undefined, min: number, max = Number.MAX_SAFE_INTEGER) {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!(Number.isInteger(n) && n >= min && n <= max) || value.trim() === '') {
    const range = max === Number.MAX_SAFE_INTEGER ? `≥ ${min}` : `from ${min} to ${max}`;
    throw new ConfigError(`${name} must be an integer ${range}, got '${value}'`);
  }
  return n;
}

export function registerBuildVocab(program: Command): void {
  program
    .command('build-vocab')
    .description("GROVER's atom and bond contextual-property vocabularies from a SMILES file")
    .requiredOption('--input <file>', 'CSV/TSV/.smi file of SMILES (.gz ok), streamed: any size')
    .requiredOption('--out <dir>', 'output folder for atom_vocab.json and bond_vocab.json')
    .option('--smiles-column <name>', "column holding SMILES (default: 'smiles' if present, else the first)")
    .option('--radius <k>', `context radius in hops (GROVER: 1; up to ${MAX_RADIUS})`, String(DEFAULT_RADIUS))
    .option('--min-freq <n>', 'keep keys seen at least n times', '1')
    .option('--max-size <n>', 'keep at most n keys per vocabulary (besides <pad> and <other>)')
    .option('--workers <n>', 'worker threads counting keys (default: all cores)')
    .option('--limit <n>', 'read only the first n rows')
    .option('--chunk-size <n>', 'SMILES per chunk sent to a worker', '1000')
    .option('--strict', 'stop at the first SMILES RDKit cannot parse (default: count, skip and list them)')
    .option('--json', 'print the summary as JSON')
    .action(async (opts: BuildVocabCliOptions) => {
      await runBuildVocab(opts);
    });
}

async function runBuildVocab(opts: BuildVocabCliOptions): Promise<void> {
  const radius = integer('--radius', opts.radius, 1, MAX_RADIUS)!;
  const minFreq = integer('--min-freq', opts.minFreq, 1)!;
  const maxSize = integer('--max-size', opts.maxSize, 0);
  const workers = integer('--workers', opts.workers, 1);
  const limit = integer('--limit', opts.limit, 1);
  const chunkSize = integer('--chunk-size', opts.chunkSize, 1)!;

  const progressOn = process.stderr.isTTY || process.env['MOLGROVE_PROGRESS'] === '1';
  // The bar needs a total: the row count is estimated from the line count (less a CSV header).
  let total = limit ?? 0;
  if (limit === undefined && progressOn) {
    const lines = await countLines(opts.input).catch(() => 0);
    total = Math.max(lines - (detectFormat(opts.input) === 'smi' ? 0 : 1), 0);
  }
  const bar = progressBar('build-vocab', total);
  const built = await buildVocabsFromFile(opts.input, {
    radius,
    minFreq,
    chunkSize,
    strict: opts.strict === true,
    ...(maxSize === undefined ? {} : { maxSize }),
    ...(workers === undefined ? {} : { workers }),
    ...(limit === undefined ? {} : { limit }),
    ...(opts.smilesColumn === undefined ? {} : { column: opts.smilesColumn }),
    onProgress: (p) => bar.update(p.rows, { invalid: p.invalid }),
  }).finally(() => bar.stop());
  const { atom, bond, counts } = built;
  const paths = await saveVocabPair(opts.out, atom, bond);
  let invalidFile: string | null = null;
  if (counts.invalid > 0) {
    invalidFile = join(opts.out, 'invalid.csv');
    const rows = counts.invalidRows.map((r) => [r.row, r.line, r.smiles]);
    await writeFileAtomic(invalidFile, stringify([['row', 'line', 'smiles'], ...rows]));
  }
  const summary = {
    input: opts.input,
    rows: counts.rows,
    molecules: counts.molecules,
    invalid: counts.invalid,
    invalidFile,
    // invalid.csv lists the first 1000 invalid rows; all of them are counted.
    invalidListed: counts.invalidRows.length,
    radius,
    minFreq,
    maxSize: maxSize ?? null,
    atomVocabSize: atom.size,
    bondVocabSize: bond.size,
    atomKeys: counts.atoms.size,
    bondKeys: counts.bonds.size,
    atomVocab: paths.atom,
    bondVocab: paths.bond,
    workers: counts.workers,
    seconds: Number(counts.seconds.toFixed(3)),
    moleculesPerSecond: Math.round(counts.rows / Math.max(counts.seconds, 1e-9)),
  };
  if (opts.json) {
    printJson(summary);
    return;
  }
  if (counts.invalid > 0) {
    const first = counts.invalidRows
      .slice(0, 5)
      .map((r) => `row ${r.row} (line ${r.line}): ${JSON.stringify(r.smiles)}`);
    process.stderr.write(
      `build-vocab: ${counts.invalid} SMILES RDKit cannot parse, skipped; ${first.join('; ')}\n`,
    );
  }
  printTable(
    ['key', 'value'],
    Object.entries(summary).map(([k, v]) => [k, v === null ? '-' : String(v)]),
  );
}

/** Lines of a file (decompressed when gzipped), streamed: an estimate of its rows for the progress bar. */
async function countLines(path: string): Promise<number> {
  const fd = await open(path);
  const head = Buffer.alloc(2);
  let bytes: number;
  try {
    bytes = (await fd.read(head, 0, 2, 0)).bytesRead;
  } finally {
    await fd.close();
  }
  const file = createReadStream(path);
  let source: NodeJS.ReadableStream = file;
  if (bytes === 2 && head[0] === 0x1f && head[1] === 0x8b) {
    const gunzip = createGunzip();
    file.on('error', (err) => gunzip.destroy(err));
    source = file.pipe(gunzip);
  }
  let lines = 0;
  for await (const chunk of source as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
  }
  return lines + 1;
}
