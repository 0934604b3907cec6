// Models: the module system, layers, the message-passing trunk, encoders, readouts and predictors.

export { GINConv } from './encoders/gin.js';
export * from './encoders/registry.js';
export * from './graph.js';
export * from './inputs.js';
export { BatchNorm, Dropout, Embedding, LayerNorm, Linear, MLP } from './layers.js';
export { Module, ModuleList, type StateDict } from './module.js';
export { createGin, type GinOptions, GraphPredictor } from './predictor.js';
export { READOUTS, type ReadoutKind, readout } from './readout.js';
export {
  type Conv,
  GnnTrunk,
  type JumpingKnowledge,
  type NormKind,
  type TrunkOptions,
} from './trunk.js';
