// Every lowering rule file; importing this registers them.
import './core.js';
import './math.js';
import './nn.js';
import './reduce.js';
import './array.js';
import './slicing.js';
import './train.js';
import './conv.js';
import './pool.js';
