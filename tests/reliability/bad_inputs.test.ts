// The bad-input table (issue 8): every row raises our named error with a useful message, and
// afterwards no variable changed and tfjs holds no extra tensor.
import { describe, expect, it } from 'vitest';
import { buildRows, optionRows } from './rows_build.js';
import { runRows } from './rows_run.js';
import type { Row } from './table.js';
import { expectUnchanged, makeWorld, snapshot } from './world.js';

const families: [string, Row[]][] = [
  ['options', optionRows],
  ['build', buildRows],
  ['run, feed, fetch, state', runRows],
];

it('the table has at least 60 rows', () => {
  expect(families.reduce((n, [, rows]) => n + rows.length, 0)).toBeGreaterThanOrEqual(60);
});

for (const [family, rows] of families) {
  describe(family, () => {
    it.each(rows)('%s', async (_name, error, message, act, setup) => {
      const w = makeWorld();
      try {
        if (setup) w.g.asDefault(() => setup(w));
        const before = snapshot(w);
        let caught: unknown = null;
        try {
          await w.g.asDefault(() => act(w));
        } catch (e) {
          caught = e;
        }
        expect(caught).toBeInstanceOf(error);
        expect((caught as Error).message).toMatch(message);
        expectUnchanged(w, before);
      } finally {
        w.sess.close();
      }
    });
  });
}
