// The `nn` namespace of API.md §6: nn.dynamicRnn and nn.rnnCell.
import { BasicRNNCell, GRUCell } from './cells.js';
import { BasicLSTMCell, LSTMCell } from './lstm.js';

export type { GRUCellOptions } from './cells.js';
export { type CellState, type LSTMStateTuple, lstmStateTuple, type RNNCell } from './cells.js';
export { type DynamicRnnOptions, dynamicRnn } from './dynamic_rnn.js';
export type { LSTMCellOptions, LSTMOptions } from './lstm.js';
export const rnnCell = { BasicRNNCell, BasicLSTMCell, LSTMCell, GRUCell } as const;
