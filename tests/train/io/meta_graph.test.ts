// MetaGraphDef files: Saver.save writes `<prefix>.meta` as TF's Saver does by default;
// importMetaGraph rebuilds the graph, its variables and train op, and restores the checkpoint.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as g from '@graphmode/graph';
import {
  createTrainOp,
  exportMetaGraph,
  GradientDescentOptimizer,
  getGlobalStep,
  getOrCreateGlobalStep,
  importMetaGraph,
  Saver,
} from '@graphmode/train';
import { describe, expect, it } from 'vitest';
import { encodeMetaGraph } from '../../../packages/train/src/io/meta_graph.js';
import { smallTrainGraph } from '../../fixtures/graph_def/small_graph.js';
import { decodeFields, fieldString } from '../../wire.js';

const x = new g.NDArray('float32', [4, 2], Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]));
const t = new g.NDArray('float32', [4, 1], Float32Array.from([1, 0, 1, 0]));

function trained() {
  const graph = new g.Graph();
  const m = graph.asDefault(() => {
    const xs = g.placeholder('float32', [null, 2], { name: 'x' });
    const ys = g.placeholder('float32', [null, 1], { name: 't' });
    const w = g.variable(g.zeros([2, 1]), { name: 'w' });
    const loss = g.reduceMean(g.square(g.sub(g.matMul(xs, w.value()), ys)), undefined, { name: 'loss' });
    getOrCreateGlobalStep();
    const train = createTrainOp(loss, new GradientDescentOptimizer(0.01));
    return { xs, ys, w, train, saver: new Saver() };
  });
  const sess = new g.Session(graph);
  sess.run(graph.asDefault(() => g.globalVariablesInitializer()));
  for (let i = 0; i < 3; i++)
    sess.run(m.train, [
      [m.xs, x],
      [m.ys, t],
    ]);
  return { graph, sess, ...m };
}

describe('MetaGraphDef', () => {
  it("Saver.save writes <prefix>.meta: TF's MetaGraphDef with version, graph and collections", async () => {
    const m = trained();
    const dir = mkdtempSync(join(tmpdir(), 'meta-'));
    const prefix = await m.saver.save(m.sess, join(dir, 'model.ckpt'), { globalStep: 3 });
    const bytes = readFileSync(`${prefix}.meta`);
    // Read with a wire-level decoder, independent of the protobuf schema.
    const fields = decodeFields(bytes);
    const info = decodeFields(fields.find((f) => f.field === 1)!.bytes);
    expect(fieldString(info.find((f) => f.field === 5)!)).toBe('1.15.0');
    const graphDef = decodeFields(fields.find((f) => f.field === 2)!.bytes);
    expect(graphDef.filter((f) => f.field === 1).length).toBe(m.graph.getOperations().length);
    const keys = fields.filter((f) => f.field === 4).map((e) => fieldString(decodeFields(e.bytes)[0]!));
    expect(keys).toEqual(
      expect.arrayContaining(['global_step', 'train_op', 'trainable_variables', 'variables']),
    );
    expect(fields.some((f) => f.field === 3)).toBe(false); // no SaverDef: TF builds its own Saver
    m.sess.close();
  });

  it('writes the bytes protoc decoded with the MetaGraphDef schema (tests/fixtures/graph_def)', () => {
    const dir = 'tests/fixtures/graph_def';
    expect(Buffer.from(encodeMetaGraph(smallTrainGraph())).equals(readFileSync(`${dir}/small.meta`))).toBe(
      true,
    );
    const text = readFileSync(`${dir}/small_meta.txt`, 'utf8');
    expect(text).toMatch(/meta_info_def \{\s+tensorflow_version: "1.15.0"/);
    expect(text).toMatch(/key: "train_op"\s+value \{\s+node_list \{\s+value: "control_dependency:0"/);
    // VariableDef: variable_name, initializer_name, snapshot_name, initial_value_name, trainable.
    expect(text).toContain('value: "\\n\\003w:0\\022\\010w/Assign\\032\\010w/read:02\\007zeros:08\\001"');
    expect(text).toMatch(
      /key: "variables"\s+value \{\s+bytes_list \{\s+value: "[^"]+"\s+value: "[^"]+global_step/,
    );
    expect(text).toContain('name: "global_step/Assign"');
  });

  it('importMetaGraph rebuilds variables, global step and train op; the Saver restores the checkpoint', async () => {
    const m = trained();
    const dir = mkdtempSync(join(tmpdir(), 'meta-'));
    const prefix = await m.saver.save(m.sess, join(dir, 'model.ckpt'), { globalStep: 3 });
    const want = m.sess.run(m.w);
    const graph = new g.Graph();
    await graph.asDefault(async () => {
      const saver = await importMetaGraph(`${prefix}.meta`);
      const vars = g.globalVariables();
      expect(vars.map((v) => v.name)).toEqual(
        m.graph.getCollection<g.Variable>('variables').map((v) => v.name),
      );
      expect(g.trainableVariables().map((v) => v.name)).toEqual(['w:0']);
      expect(getGlobalStep()!.name).toBe('global_step:0');
      const sess = new g.Session(graph);
      await saver.restore(sess, prefix);
      expect(sess.run(graph.getTensorByName('w:0'))).toEqual(want);
      expect(sess.run(getGlobalStep()!).item()).toBe(3);
      // applyGradients' op and createTrainOp's loss tensor, by name.
      const trainOps = graph.getCollection<g.Tensor | g.Operation>('train_op');
      expect(trainOps.map((o) => o.name)).toEqual(
        m.graph.getCollection<g.Tensor>('train_op').map((o) => o.name),
      );
      const train = trainOps.find((o) => o instanceof g.Tensor);
      const feeds: [string, g.NDArray][] = [
        ['x:0', x],
        ['t:0', t],
      ];
      const l1 = sess.run(train!, feeds).item() as number;
      const l2 = sess.run(train!, feeds).item() as number;
      expect(l2).toBeLessThan(l1);
      expect(sess.run(getGlobalStep()!).item()).toBe(5);
      sess.close();
    });
    m.sess.close();
  });

  it('exportMetaGraph writes a given SaverDef; old checkpoints lose their .meta with them', async () => {
    const m = trained();
    const dir = mkdtempSync(join(tmpdir(), 'meta-'));
    await exportMetaGraph(join(dir, 'g.meta'), {
      graph: m.graph,
      saverDef: { restoreOpName: 'save/restore_all', version: 2 },
    });
    const saverDef = decodeFields(
      decodeFields(readFileSync(join(dir, 'g.meta'))).find((f) => f.field === 3)!.bytes,
    );
    expect(fieldString(saverDef.find((f) => f.field === 3)!)).toBe('save/restore_all');
    const saver = m.graph.asDefault(() => new Saver({ maxToKeep: 1 }));
    const first = await saver.save(m.sess, join(dir, 'model.ckpt'), { globalStep: 1 });
    await saver.save(m.sess, join(dir, 'model.ckpt'), { globalStep: 2 });
    expect(existsSync(`${first}.meta`)).toBe(false);
    expect(existsSync(join(dir, 'model.ckpt-2.meta'))).toBe(true);
    m.sess.close();
  });

  it('a graph with control flow gets its .meta (bodies in the library), and importMetaGraph runs it', async () => {
    const graph = new g.Graph();
    const saver = graph.asDefault(() => {
      const v = g.variable(1.5, { name: 'v' });
      g.identity(
        g.cond(
          g.greater(v.value(), 0),
          () => g.mul(v.value(), 2),
          () => v.value(),
        ),
        { name: 'y' },
      );
      return new Saver();
    });
    const sess = new g.Session(graph);
    sess.run(graph.asDefault(() => g.globalVariablesInitializer()));
    const dir = mkdtempSync(join(tmpdir(), 'meta-'));
    const prefix = await saver.save(sess, join(dir, 'model.ckpt'));
    expect(existsSync(`${prefix}.meta`)).toBe(true);
    const copy = new g.Graph();
    const restorer = await copy.asDefault(() => importMetaGraph(`${prefix}.meta`));
    const copySess = new g.Session(copy);
    await restorer.restore(copySess, prefix);
    expect(Array.from(copySess.run(copy.getTensorByName('y:0')).data as Float32Array)).toEqual([3]);
    sess.close();
    copySess.close();
  });
});
