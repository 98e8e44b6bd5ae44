// TF 1.15's functional tf.layers.
export type { LayerOptions, Training } from './base.js';
export * from './conv.js';
export * from './core.js';
export * from './normalization.js';
