// io/ keeps a narrow public surface: wire helpers (protobuf, CRC32C, TFRecord, tables, bundle
// codecs) are internal; tests reach them by relative path.
import { readdirSync, readFileSync } from 'node:fs';
import * as train from '@graphmode/train';
import { describe, expect, it } from 'vitest';

describe('@graphmode/train io exports', () => {
  it('exports the file API and none of the wire helpers', () => {
    for (const name of [
      'Saver',
      'latestCheckpoint',
      'getCheckpointState',
      'FileWriter',
      'listVariables',
      'loadVariable',
    ])
      expect(typeof (train as Record<string, unknown>)[name], name).toBe('function');
    for (const name of [
      'crc32c',
      'maskCrc',
      'encodeRecord',
      'decodeRecords',
      'encodeEvent',
      'decodeEvent',
      'encodeSummary',
      'ProtoWriter',
      'decodeFields',
      'buildTable',
      'encodeTensor',
      'encodeGraphDef',
    ])
      expect(train, name).not.toHaveProperty(name);
  });

  it('tests import io internals by relative path, never from the package', () => {
    const dir = new URL('.', import.meta.url).pathname;
    for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts'))) {
      const src = readFileSync(dir + f, 'utf8');
      const fromPackage = [...src.matchAll(/import \{([^}]*)\} from '@graphmode\/train'/g)].flatMap((m) =>
        m[1]!.split(',').map((s) => s.trim().replace(/^type /, '')),
      );
      for (const name of fromPackage.filter(Boolean)) expect(train, `${f}: ${name}`).toHaveProperty(name);
    }
  });
});
