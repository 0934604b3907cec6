// Models: the module system, layers, the message-passing trunk, encoders, readouts and predictors.

export { DMPNNEncoder, type DmpnnOptions, dmpnnFactory } from './encoders/dmpnn.js';
export { GATConv } from './encoders/gat.js';
export { GCNConv } from './encoders/gcn.js';
export { GINConv } from './encoders/gin.js';
export { GRUCell, MpnnEncoder, type MpnnOptions, NNConv } from './encoders/mpnn.js';
export * from './encoders/registry.js';
export { GraphSAGEConv } from './encoders/sage.js';
export * from './graph.js';
export { FFNHead, type HeadOptions } from './head.js';
export * from './inputs.js';
export { BatchNorm, Dropout, Embedding, LayerNorm, Linear, MLP } from './layers.js';
export { type DecodedModel, decodeModel, encodeModel, MODEL_FORMAT, type ModelInfo } from './model-file.js';
export { Module, ModuleList, type StateDict } from './module.js';
export { type ModelInput, MoleculeModel } from './molecule-model.js';
export { createGin, type GinOptions, GraphPredictor } from './predictor.js';
export {
  AttentionReadout,
  createReadout,
  getReadout,
  type PoolKind,
  PoolReadout,
  READOUT_FACTORIES,
  READOUTS,
  Readout,
  type ReadoutFactory,
  type ReadoutKind,
  type ReadoutOptions,
  readout,
  readoutNames,
  SelfAttention,
  SelfAttentiveReadout,
} from './readout.js';
export { checkModelSpec, type ModelSpec, type TaskKind } from './spec.js';
export {
  type Conv,
  GnnTrunk,
  type JumpingKnowledge,
  type NormKind,
  type TrunkOptions,
} from './trunk.js';
