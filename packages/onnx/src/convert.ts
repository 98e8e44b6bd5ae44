// Values crossing between onnxruntime, tfjs and the API: typed arrays, copied only where the
// receiver may keep or mutate them.
import { type DType, NDArray } from '@graphmode/graph';
import * as tfc from '@tensorflow/tfjs-core';
import { type OrtTensor, ort } from './ort.js';

type Data = Float32Array | Int32Array | Uint8Array | string[];

/** An NDArray's data, shared (read in place: fed arrays are the caller's, see borrowsFeeds). */
export const ortFromNDArray = (nd: NDArray): OrtTensor => new ort.Tensor(nd.dtype, nd.data as Data, nd.shape);
export const ndArrayFromOrt = (t: OrtTensor): NDArray =>
  new NDArray(t.type as DType, t.dims.slice(), (t.data as Data).slice());
export const tfcFromOrt = (t: OrtTensor): tfc.Tensor =>
  tfc.tensor(t.data as Data, t.dims.slice(), t.type as tfc.DataType);
/** dataSync may return the backend's own buffer: the copy is ours. */
export const ortFromTfc = (t: tfc.Tensor): OrtTensor =>
  new ort.Tensor(t.dtype as DType, (t.dataSync() as Data).slice(), t.shape);
