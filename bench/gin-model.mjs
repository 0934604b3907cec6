// Hu et al.'s GIN (pretrain-gnns chem/model.py, gnn_type='gin') written directly on molgrove's tensor
// engine, for the training-step benchmark: atom-type + chirality embeddings, 5 GIN layers with
// edge embeddings (self loops with bond type 4), MLP 300→600→300, batch norm, ReLU except after the
// last layer, dropout, mean pooling, a 12-task linear head and BCE-with-logits over present labels.
// Embedding tables match bench/gin_torch.py (121 atom rows, 4 chirality rows, 6 bond types, 3 dirs).
import * as T from '../dist/src/tensor/index.js';

export const NUM_ATOM_TYPE = 121;
export const NUM_CHIRALITY = 4;
export const NUM_BOND_TYPE = 6;
export const NUM_BOND_DIR = 3;
export const SELF_LOOP_BOND = 4;

function embeddingParam(name, rows, dim, rng) {
  return T.xavierUniform(name, [rows, dim], rng);
}

export function createGin({
  numLayers = 5,
  dim = 300,
  numTasks = 12,
  dropout = 0.2,
  seed = 0,
  fused = true,
} = {}) {
  const rng = new T.Rng(seed);
  const params = [];
  const p = (t) => {
    params.push(t);
    return t;
  };
  const atomEmb = p(embeddingParam('x_embedding1', NUM_ATOM_TYPE, dim, rng));
  const chirEmb = p(embeddingParam('x_embedding2', NUM_CHIRALITY, dim, rng));
  const layers = [];
  for (let l = 0; l < numLayers; l++) {
    layers.push({
      bondEmb: p(embeddingParam(`gnns.${l}.edge_embedding1`, NUM_BOND_TYPE, dim, rng)),
      dirEmb: p(embeddingParam(`gnns.${l}.edge_embedding2`, NUM_BOND_DIR, dim, rng)),
      w1: p(T.linearWeight(`gnns.${l}.mlp.0.weight`, 2 * dim, dim, rng)),
      b1: p(T.linearBias(`gnns.${l}.mlp.0.bias`, 2 * dim, dim, rng)),
      w2: p(T.linearWeight(`gnns.${l}.mlp.2.weight`, dim, 2 * dim, rng)),
      b2: p(T.linearBias(`gnns.${l}.mlp.2.bias`, dim, 2 * dim, rng)),
      gamma: p(T.constantParam(`batch_norms.${l}.weight`, [dim], 1)),
      beta: p(T.constantParam(`batch_norms.${l}.bias`, [dim], 0)),
      bn: T.batchNormState(dim),
    });
  }
  const headW = p(T.linearWeight('graph_pred_linear.weight', numTasks, dim, rng));
  const headB = p(T.linearBias('graph_pred_linear.bias', numTasks, dim, rng));
  const dropRng = new T.Rng(seed + 1);

  /** Edge lists with one self loop per atom appended (as PyG's add_self_loops in each GINConv). */
  function withSelfLoops(b) {
    const n = b.numAtoms;
    const m = b.numEdges;
    const src = new Int32Array(m + n);
    const dst = new Int32Array(m + n);
    const bt = new Int32Array(m + n);
    const bd = new Int32Array(m + n);
    src.set(b.edgeSrc);
    dst.set(b.edgeDst);
    bt.set(b.bondType);
    bd.set(b.bondDir);
    for (let i = 0; i < n; i++) {
      src[m + i] = i;
      dst[m + i] = i;
      bt[m + i] = SELF_LOOP_BOND;
    }
    return { src, dst, bt, bd };
  }

  /** Logits [numGraphs, numTasks] for a batch. */
  function forward(b, training) {
    const { src, dst, bt, bd } = b.loops ?? withSelfLoops(b);
    let h = T.add(T.embedding(atomEmb, b.atomType), T.embedding(chirEmb, b.chirality));
    for (let l = 0; l < layers.length; l++) {
      const L = layers[l];
      // Σ over incoming edges of (h[src] + E1[bond type] + E2[bond dir]), as three fused
      // gather-scatter passes instead of materializing one 300-wide message per edge.
      // (fused = false spells it out edge by edge, exactly as PyG/Hu's code materializes it.)
      const agg = fused
        ? T.addN([
            T.gatherScatter(h, src, dst, b.numAtoms),
            T.gatherScatter(L.bondEmb, bt, dst, b.numAtoms),
            T.gatherScatter(L.dirEmb, bd, dst, b.numAtoms),
          ])
        : T.scatterAdd(
            T.add(T.gatherRows(h, src), T.add(T.embedding(L.bondEmb, bt), T.embedding(L.dirEmb, bd))),
            dst,
            b.numAtoms,
          );
      let z = T.linear(agg, L.w1, L.b1, 'relu');
      z = T.linear(z, L.w2, L.b2);
      z = T.batchNorm(z, L.gamma, L.beta, L.bn, training);
      if (l < layers.length - 1) z = T.relu(z);
      h = T.dropout(z, dropout, dropRng, training);
    }
    const pooled = T.segmentMean(h, b.graphIndex, b.numGraphs);
    return T.linear(pooled, headW, headB);
  }

  return { params, forward, withSelfLoops };
}
