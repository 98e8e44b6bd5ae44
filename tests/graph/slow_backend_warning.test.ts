// A cpu session that runs a big matMul or a conv gradient warns once, naming the wasm backend;
// Session.create() defaults to wasm (API.md §2). The test setup turns the warning off
// (GRAPHMODE_SLOW_WARNING=off, scripts/quiet_tfjs.ts); this file turns it back on.
import * as g from '@graphmode/graph';
import { afterEach, describe, expect, it, vi } from 'vitest';

const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
process.env.GRAPHMODE_SLOW_WARNING = 'on';
afterEach(() => {
  warn.mockClear();
  process.env.GRAPHMODE_SLOW_WARNING = 'on';
});

function matMulGraph(m: number, k: number, n: number) {
  const graph = new g.Graph();
  const y = graph.asDefault(() => g.matMul(g.ones([m, k]), g.ones([k, n])));
  return { graph, y };
}
const slowWarnings = () => warn.mock.calls.filter(([msg]) => String(msg).includes("'wasm' backend"));

describe('slow-backend warning', () => {
  it('a matMul above ~10 MFLOP on cpu warns once per session, naming wasm and Session.create', () => {
    const { graph, y } = matMulGraph(64, 784, 256); // 25.7 MFLOP
    const sess = new g.Session(graph);
    sess.run(y);
    sess.run(y);
    expect(slowWarnings()).toHaveLength(1);
    expect(String(slowWarnings()[0]![0])).toMatch(
      /26 MFLOP matMul.*Session\.create\(graph, \{ backend: 'wasm' \}\)/,
    );
    sess.close();
    const again = new g.Session(graph);
    again.run(y);
    expect(slowWarnings()).toHaveLength(2);
    again.close();
  });

  it('GRAPHMODE_SLOW_WARNING=off silences it', () => {
    process.env.GRAPHMODE_SLOW_WARNING = 'off';
    const { graph, y } = matMulGraph(64, 784, 256);
    const sess = new g.Session(graph);
    sess.run(y);
    expect(slowWarnings()).toHaveLength(0);
    sess.close();
  });

  it('a small matMul does not warn', () => {
    const { graph, y } = matMulGraph(8, 100, 10);
    const sess = new g.Session(graph);
    sess.run(y);
    expect(slowWarnings()).toHaveLength(0);
    sess.close();
  });

  it('a conv gradient on cpu warns; the same graph on wasm does not', async () => {
    const graph = new g.Graph();
    const dx = graph.asDefault(() =>
      g.conv2dBackpropFilter(g.ones([1, 4, 4, 1]), [2, 2, 1, 1], g.ones([1, 3, 3, 1])),
    );
    const cpu = new g.Session(graph);
    cpu.run(dx);
    expect(slowWarnings()).toHaveLength(1);
    expect(String(slowWarnings()[0]![0])).toMatch(/Conv2DBackpropFilter/);
    cpu.close();
    warn.mockClear();
    const wasm = await g.Session.create(graph, { backend: 'wasm' });
    wasm.run(dx);
    expect(slowWarnings()).toHaveLength(0);
    wasm.close();
  });

  it('Session.create() defaults to wasm; new Session() to cpu', async () => {
    const sess = await g.Session.create(new g.Graph());
    expect(sess.backend).toBe('wasm');
    sess.close();
    expect(new g.Session(new g.Graph()).backend).toBe('cpu');
  });
});
