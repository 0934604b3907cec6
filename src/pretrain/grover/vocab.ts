/**
 * GROVER's contextual-property vocabulary (tencent-ailab/grover `grover/data/torchvocab.py`,
 * `TorchVocab`; read to learn the rules, nothing copied): index 0 `<pad>`, index 1 `<other>` (what
 * every unknown key maps to), then the counted keys by descending count, ties in string order,
 * keeping those seen at least `minFreq` times and at most `maxSize` of them (specials not included).
 *
 * Saved as JSON (`atom_vocab.json`, `bond_vocab.json`) instead of GROVER's pickle: the kept tokens in
 * index order with their counts, plus how many distinct keys and occurrences were left out.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, MolgroveError } from '../../errors.js';
import { writeJsonAtomic } from '../../util/atomic.js';
import { checkRadius, DEFAULT_RADIUS } from './context.js';

export type VocabKind = 'atom' | 'bond';

export const PAD_TOKEN = '<pad>';
export const OTHER_TOKEN = '<other>';
export const PAD_INDEX = 0;
export const OTHER_INDEX = 1;
export const SPECIALS: readonly string[] = [PAD_TOKEN, OTHER_TOKEN];

export const VOCAB_FORMAT = 'molgrove.grover-vocab';
export const VOCAB_VERSION = 1;

export interface VocabOptions {
  /** Most tokens kept, specials not counted (GROVER's `max_size`); default: no limit. */
  readonly maxSize?: number;
  /** Fewest occurrences for a token to be kept (GROVER's `min_freq`, at least 1); default 1. */
  readonly minFreq?: number;
  /** Context radius the keys were built with (recorded, and checked when vocabularies are used). */
  readonly radius?: number;
}

/** The file layout of a saved vocabulary. */
export interface VocabJson {
  format: typeof VOCAB_FORMAT;
  version: number;
  kind: VocabKind;
  radius: number;
  minFreq: number;
  maxSize: number | null;
  /** Index → token, specials first. */
  tokens: string[];
  /** Occurrences of each token in the corpus (0 for the specials). */
  counts: number[];
  /** Distinct keys and their occurrences that were counted but not kept (they map to `<other>`). */
  dropped: { tokens: number; occurrences: number };
}

/** String order as Python sorts str (code points; equal to UTF-16 order for the ASCII keys here). */
function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function checkOptions(options: VocabOptions): { maxSize: number | null; minFreq: number; radius: number } {
  const { maxSize, minFreq = 1, radius = DEFAULT_RADIUS } = options;
  if (maxSize !== undefined && !(Number.isInteger(maxSize) && maxSize >= 0)) {
    throw new ConfigError(`vocabulary max size must be a non-negative integer, got ${maxSize}`);
  }
  if (!Number.isInteger(minFreq))
    throw new ConfigError(`vocabulary min frequency must be an integer, got ${minFreq}`);
  return { maxSize: maxSize ?? null, minFreq: Math.max(minFreq, 1), radius: checkRadius(radius) };
}

export class Vocab {
  private readonly index: Map<string, number>;

  private constructor(
    readonly kind: VocabKind,
    readonly radius: number,
    readonly minFreq: number,
    readonly maxSize: number | null,
    /** Index → token. */
    readonly tokens: readonly string[],
    /** Index → occurrences counted (0 for the specials). */
    readonly counts: readonly number[],
    readonly dropped: { readonly tokens: number; readonly occurrences: number },
  ) {
    this.index = new Map(tokens.map((t, i) => [t, i]));
    if (this.index.size !== tokens.length)
      throw new MolgroveError('IO', `${kind} vocabulary repeats a token`);
  }

  /** GROVER's rule: by count (descending), ties in string order, then min frequency and max size. */
  static fromCounts(kind: VocabKind, counts: ReadonlyMap<string, number>, options: VocabOptions = {}): Vocab {
    const { maxSize, minFreq, radius } = checkOptions(options);
    const entries = [...counts].filter(([t]) => !SPECIALS.includes(t));
    entries.sort((a, b) => b[1] - a[1] || compareStrings(a[0], b[0]));
    let keep = 0;
    while (keep < entries.length && entries[keep]![1] >= minFreq && (maxSize === null || keep < maxSize))
      keep++;
    let droppedOccurrences = 0;
    for (let i = keep; i < entries.length; i++) droppedOccurrences += entries[i]![1];
    const kept = entries.slice(0, keep);
    return new Vocab(
      kind,
      radius,
      minFreq,
      maxSize,
      [...SPECIALS, ...kept.map(([t]) => t)],
      [...SPECIALS.map(() => 0), ...kept.map(([, c]) => c)],
      { tokens: entries.length - keep, occurrences: droppedOccurrences },
    );
  }

  static fromJson(value: unknown, source = '<json>'): Vocab {
    const bad = (why: string) =>
      new MolgroveError('IO', `${source}: not a molgrove GROVER vocabulary (${why})`);
    if (typeof value !== 'object' || value === null) throw bad('not an object');
    const v = value as Partial<VocabJson>;
    if (v.format !== VOCAB_FORMAT) throw bad(`format is ${JSON.stringify(v.format)}`);
    if (v.version !== VOCAB_VERSION) throw bad(`version ${String(v.version)}, expected ${VOCAB_VERSION}`);
    if (v.kind !== 'atom' && v.kind !== 'bond') throw bad(`kind ${JSON.stringify(v.kind)}`);
    const { tokens, counts, dropped } = v;
    if (!Array.isArray(tokens) || !tokens.every((t) => typeof t === 'string')) throw bad('tokens');
    if (!Array.isArray(counts) || counts.length !== tokens.length || !counts.every(Number.isInteger)) {
      throw bad('counts');
    }
    if (tokens[PAD_INDEX] !== PAD_TOKEN || tokens[OTHER_INDEX] !== OTHER_TOKEN) throw bad('specials');
    if (!dropped || !Number.isInteger(dropped.tokens) || !Number.isInteger(dropped.occurrences)) {
      throw bad('dropped');
    }
    const radius = typeof v.radius === 'number' ? v.radius : Number.NaN;
    const minFreq = typeof v.minFreq === 'number' ? v.minFreq : Number.NaN;
    if (!Number.isInteger(radius) || !Number.isInteger(minFreq)) throw bad('radius/minFreq');
    const maxSize = v.maxSize ?? null;
    if (maxSize !== null && !(Number.isInteger(maxSize) && maxSize >= 0)) throw bad('maxSize');
    return new Vocab(v.kind, radius, minFreq, maxSize, tokens, counts, {
      tokens: dropped.tokens,
      occurrences: dropped.occurrences,
    });
  }

  static async load(path: string): Promise<Vocab> {
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (err) {
      throw new MolgroveError('IO', `cannot read ${path}: ${err instanceof Error ? err.message : err}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new MolgroveError('IO', `${path}: not JSON`);
    }
    return Vocab.fromJson(json, path);
  }

  /** Number of tokens, specials included (GROVER's `len(vocab)`). */
  get size(): number {
    return this.tokens.length;
  }

  /** The token's index, `<other>`'s (1) when it is not in the vocabulary. */
  indexOf(token: string): number {
    return this.index.get(token) ?? OTHER_INDEX;
  }

  has(token: string): boolean {
    return this.index.has(token);
  }

  tokenAt(index: number): string {
    const t = this.tokens[index];
    if (t === undefined)
      throw new ConfigError(`${this.kind} vocabulary has no index ${index} (size ${this.size})`);
    return t;
  }

  /** Occurrences of a kept token (0 for specials and unknown tokens). */
  countOf(token: string): number {
    const i = this.index.get(token);
    return i === undefined ? 0 : (this.counts[i] ?? 0);
  }

  /** Indices of a list of keys (GROVER's `mol_to_seq` once the keys are computed). */
  encode(keys: readonly string[]): Int32Array {
    return Int32Array.from(keys, (k) => this.indexOf(k));
  }

  toJson(): VocabJson {
    return {
      format: VOCAB_FORMAT,
      version: VOCAB_VERSION,
      kind: this.kind,
      radius: this.radius,
      minFreq: this.minFreq,
      maxSize: this.maxSize,
      tokens: [...this.tokens],
      counts: [...this.counts],
      dropped: { ...this.dropped },
    };
  }

  /** Writes the vocabulary atomically (temp file, then rename). */
  save(path: string): Promise<void> {
    return writeJsonAtomic(path, this.toJson());
  }
}

export function vocabFileName(kind: VocabKind): string {
  return `${kind}_vocab.json`;
}

/** Saves both vocabularies into `dir` as atom_vocab.json and bond_vocab.json; returns the paths. */
export async function saveVocabPair(
  dir: string,
  atom: Vocab,
  bond: Vocab,
): Promise<{ atom: string; bond: string }> {
  if (atom.kind !== 'atom' || bond.kind !== 'bond') throw new ConfigError('saveVocabPair: kinds swapped');
  const paths = { atom: join(dir, vocabFileName('atom')), bond: join(dir, vocabFileName('bond')) };
  await atom.save(paths.atom);
  await bond.save(paths.bond);
  return paths;
}

export async function loadVocabPair(dir: string): Promise<{ atom: Vocab; bond: Vocab }> {
  const atom = await Vocab.load(join(dir, vocabFileName('atom')));
  const bond = await Vocab.load(join(dir, vocabFileName('bond')));
  if (atom.kind !== 'atom' || bond.kind !== 'bond') {
    throw new MolgroveError('IO', `${dir}: atom_vocab.json/bond_vocab.json hold the wrong kinds`);
  }
  return { atom, bond };
}
