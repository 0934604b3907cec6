/**
 * Training checkpoints (.mgck), for fine-tuning (fit.ts) and pretraining alike: model weights under
 * `model.`, the optimizer's state dict via T.stateDictToTensors, and a JSON `run` entry in the
 * metadata that is the trainer's own (epoch, history, stream position, generators, scheduler step,
 * …), written atomically.
 */
import { readFileSync } from 'node:fs';
import { MolgroveError } from '../errors.js';
import type { Module } from '../models/module.js';
import * as T from '../tensor/index.js';
import { writeFileAtomic } from '../util/atomic.js';

export type RngJson = (number | null)[];

/** An Rng state as JSON (NaN, "no cached normal", as null). */
export const rngToJson = (s: readonly number[]): RngJson => s.map((v) => (Number.isNaN(v) ? null : v));
export const rngFromJson = (s: readonly (number | null)[]): number[] =>
  s.map((v) => (v === null ? Number.NaN : v));

/** Every registered generator of a module, by dotted path. */
export function generatorStates(model: Module): Record<string, RngJson> {
  return Object.fromEntries(model.namedGenerators().map(([n, g]) => [n, rngToJson(g.getState())]));
}

export function restoreGenerators(model: Module, states: Record<string, RngJson>): void {
  const gens = new Map(model.namedGenerators());
  for (const [name, state] of Object.entries(states)) gens.get(name)?.setState(rngFromJson(state));
}

/**
 * Names of the parameters holding a gradient buffer. zeroGrad() zero-fills buffers rather than
 * dropping them, so a parameter that once had a gradient keeps taking Adam steps (with a zero
 * gradient: momentum only) in batches that do not use it (e.g. GROVER's dyMPN W_h when the sampled
 * hop count is 0), while one that never had a gradient is skipped. A resumed run must recreate the
 * same buffers, or those momentum-only steps are lost and the runs drift apart.
 */
export function gradHolders(model: Module): string[] {
  return model.namedParameters().flatMap(([n, p]) => (p.grad ? [n] : []));
}

/** Gives the named parameters zero gradient buffers (see gradHolders). */
export function restoreGradHolders(model: Module, names: readonly string[]): void {
  const want = new Set(names);
  for (const [n, p] of model.namedParameters()) {
    if (want.has(n) && !p.grad) p.grad = new Float32Array(p.data.length);
  }
}

export async function saveCheckpoint(path: string, model: Module, opt: T.Adam, run: object): Promise<void> {
  const tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [name, t] of Object.entries(model.stateDict())) tensors[`model.${name}`] = t;
  const o = T.stateDictToTensors(opt.stateDict());
  Object.assign(tensors, o.tensors);
  await writeFileAtomic(path, T.encodeTensors(tensors, { ...o.metadata, run: run as T.MetadataValue }));
}

/** Loads weights and optimizer state in place; returns the run entry, checked by `format`. */
export function loadCheckpoint<R extends { format: string }>(
  path: string,
  model: Module,
  opt: T.Adam,
  format: string,
): R {
  try {
    const bytes = readFileSync(path);
    const d = T.decodeTensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    const run = d.metadata['run'] as unknown as R;
    if (run?.format !== format) throw new Error(`not a ${format} checkpoint`);
    const sd: Record<string, { shape: number[]; data: Float32Array }> = {};
    for (const [name, t] of Object.entries(d.tensors)) {
      if (name.startsWith('model.') && t.dtype === 'F32')
        sd[name.slice(6)] = { shape: t.shape, data: t.data };
    }
    model.loadStateDict(sd);
    opt.loadStateDict(T.stateDictFromTensors(d.tensors, d.metadata));
    return run;
  } catch (e) {
    throw new MolgroveError('CHECKPOINT', `cannot resume from ${path}: ${(e as Error).message}`);
  }
}
