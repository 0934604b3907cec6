// Models: the module system and layers (encoders, readouts and heads build on these).

export { BatchNorm, Dropout, Embedding, LayerNorm, Linear, MLP } from './layers.js';
export { Module, type StateDict } from './module.js';
