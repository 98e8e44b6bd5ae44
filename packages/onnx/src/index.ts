// @graphmode/onnx: the 'onnxruntime' Session backend (registered on import) and exportOnnx.
import './lowering/index.js';
import './backend.js';

export { engineOptions } from './backend.js';
export { encodeOnnx, exportOnnx, type OnnxSignature } from './export.js';
export { loweredDefs, loweringOf } from './lowering/registry.js';
export type { EngineOptions } from './ort.js';
