// Without `import '@graphmode/onnx'`, asking for its backend says what to import.
import * as g from '@graphmode/graph';
import { describe, expect, it } from 'vitest';

describe('an unregistered session backend', () => {
  it('is a ValueError naming the package that registers it', async () => {
    expect(() => new g.Session(new g.Graph(), { backend: 'onnxruntime' })).toThrow(
      /'onnxruntime' is not registered: import '@graphmode\/onnx'/,
    );
    await expect(g.Session.create(new g.Graph(), { backend: 'onnxruntime' })).rejects.toThrow(g.ValueError);
  });
});
