// Modules: trees of named parameters, buffers (e.g. batch-norm running statistics) and child
// modules, with a training flag, as torch.nn.Module. Names are dotted paths ("gnns.0.mlp.0.weight"),
// so state dicts serialize to molgrove's safetensors-layout model files and can be compared with
// PyTorch checkpoints by name.

import { ConfigError } from '../errors.js';
import type { Parameter, Rng } from '../tensor/index.js';

export type StateDict = Record<string, { shape: number[]; data: Float32Array }>;

export abstract class Module {
  training = true;
  private readonly ownParams = new Map<string, Parameter>();
  private readonly ownBuffers = new Map<string, { shape: number[]; data: Float32Array }>();
  private readonly children = new Map<string, Module>();
  /** Modules whose members appear under this module's own names (no path segment of their own). */
  private readonly inlined: Module[] = [];
  private readonly generators = new Map<string, Rng>();

  /** Registers a parameter under a local name (unique within this module). */
  protected param(name: string, p: Parameter): Parameter {
    this.claim(name);
    this.ownParams.set(name, p);
    return p;
  }

  /** Registers a non-trainable state array saved with the model (running statistics). */
  protected buffer(name: string, data: Float32Array, shape: number[] = [data.length]): Float32Array {
    this.claim(name);
    this.ownBuffers.set(name, { shape, data });
    return data;
  }

  /** Registers a child module under a local name. */
  protected child<M extends Module>(name: string, m: M): M {
    this.claim(name);
    this.children.set(name, m);
    return m;
  }

  /**
   * Registers a module whose members take this module's own names, e.g. an edge encoder's
   * `edge_embedding1` directly under a conv, so parameter paths match the papers' checkpoints.
   */
  protected inline<M extends Module>(m: M): M {
    this.inlined.push(m);
    return m;
  }

  /** Registers a random generator (dropout, sampling) whose state checkpoints save and restore. */
  protected generator(name: string, rng: Rng): Rng {
    if (this.generators.has(name)) throw new ConfigError(`generator "${name}" is registered twice`);
    this.generators.set(name, rng);
    return rng;
  }

  private claim(name: string): void {
    if (name === '' || name.includes('.')) throw new ConfigError(`invalid module member name "${name}"`);
    if (this.ownParams.has(name) || this.ownBuffers.has(name) || this.children.has(name)) {
      throw new ConfigError(`module member "${name}" is registered twice`);
    }
  }

  /** Every parameter with its dotted path, in registration order (depth first). */
  namedParameters(prefix = ''): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    for (const [n, p] of this.ownParams) out.push([prefix + n, p]);
    for (const m of this.inlined) out.push(...m.namedParameters(prefix));
    for (const [n, c] of this.children) out.push(...c.namedParameters(`${prefix}${n}.`));
    return out;
  }

  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Every buffer with its dotted path. */
  namedBuffers(prefix = ''): [string, { shape: number[]; data: Float32Array }][] {
    const out: [string, { shape: number[]; data: Float32Array }][] = [];
    for (const [n, b] of this.ownBuffers) out.push([prefix + n, b]);
    for (const m of this.inlined) out.push(...m.namedBuffers(prefix));
    for (const [n, c] of this.children) out.push(...c.namedBuffers(`${prefix}${n}.`));
    return out;
  }

  /** Every registered generator with its dotted path (for checkpoints: exact resume of dropout). */
  namedGenerators(prefix = ''): [string, Rng][] {
    const out: [string, Rng][] = [];
    for (const [n, g] of this.generators) out.push([prefix + n, g]);
    for (const m of this.inlined) out.push(...m.namedGenerators(prefix));
    for (const [n, c] of this.children) out.push(...c.namedGenerators(`${prefix}${n}.`));
    return out;
  }

  /** Total number of trainable values. */
  parameterCount(): number {
    return this.parameters().reduce((n, p) => n + p.size, 0);
  }

  /** Sets training mode (dropout active, batch statistics) on this module and every child. */
  train(on = true): this {
    this.training = on;
    for (const m of this.inlined) m.train(on);
    for (const c of this.children.values()) c.train(on);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Copies of every parameter and buffer by dotted path. */
  stateDict(): StateDict {
    const sd: StateDict = {};
    for (const [n, p] of this.namedParameters()) sd[n] = { shape: [...p.shape], data: p.data.slice() };
    for (const [n, b] of this.namedBuffers()) sd[n] = { shape: [...b.shape], data: b.data.slice() };
    return sd;
  }

  /**
   * Loads values by dotted path, in place. Every parameter and buffer must be present with its shape
   * (strict, as torch's default); extra entries are an error unless `allowExtra` (e.g. loading an
   * encoder out of a whole pretrained model's file).
   */
  loadStateDict(sd: Readonly<StateDict>, options: { allowExtra?: boolean } = {}): void {
    const targets = new Map<string, { shape: readonly number[]; data: Float32Array }>();
    for (const [n, p] of this.namedParameters()) targets.set(n, p);
    for (const [n, b] of this.namedBuffers()) targets.set(n, b);
    const missing = [...targets.keys()].filter((n) => !(n in sd));
    if (missing.length > 0)
      throw new ConfigError(
        `state dict lacks ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` and ${missing.length - 5} more` : ''}`,
      );
    if (!options.allowExtra) {
      const extra = Object.keys(sd).filter((n) => !targets.has(n));
      if (extra.length > 0)
        throw new ConfigError(`state dict has unknown entries ${extra.slice(0, 5).join(', ')}`);
    }
    for (const [n, t] of targets) {
      const src = sd[n]!;
      if (src.shape.length !== t.shape.length || src.shape.some((d, i) => d !== t.shape[i])) {
        throw new ConfigError(
          `state dict entry ${n} has shape [${src.shape.join(', ')}], expected [${t.shape.join(', ')}]`,
        );
      }
      t.data.set(src.data);
    }
  }
}

/** An indexed list of child modules, named "0", "1", … (torch.nn.ModuleList). */
export class ModuleList<M extends Module> extends Module {
  readonly items: readonly M[];
  constructor(items: readonly M[]) {
    super();
    this.items = items.map((m, i) => this.child(String(i), m));
  }
}
