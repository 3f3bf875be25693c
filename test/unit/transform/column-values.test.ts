/** Reading columns for the encoders: the dictionary fast path of readCategoryCodes against the per-value path. */
import { Dictionary, Int32, Table, Utf8, makeData, makeVector, vectorFromArray } from 'apache-arrow';
import { readCategoryCodes } from '../../../src/transform/column-values';

function dictionaryChunk(dict: string[], indices: number[], nulls: number[] = []) {
  const validity = new Uint8Array(Math.ceil(indices.length / 8)).fill(0);
  indices.forEach((_, i) => { if (!nulls.includes(i)) validity[i >> 3] |= 1 << (i & 7); });
  return makeData({ type: new Dictionary(new Utf8(), new Int32()), length: indices.length, nullCount: nulls.length, nullBitmap: nulls.length ? validity : undefined, data: Int32Array.from(indices), dictionary: vectorFromArray(dict, new Utf8()) });
}

describe('readCategoryCodes', () => {
  test('dictionary columns over several chunks with their own dictionaries and nulls', () => {
    const a = dictionaryChunk(['SC', 'SS'], [1, 0, 1, 1], [2]);
    const b = dictionaryChunk(['Sb0', 'SS', 'SC'], [0, 2, 1]);
    const table = new Table({ g: makeVector([a, b]) });
    expect(Array.from(readCategoryCodes(table, 'g', ['SS', 'SC', 'Sb0']))).toEqual([0, 1, -1, 0, 2, 1, 0]);
    // The same values as plain strings give the same codes.
    const plain = new Table({ g: vectorFromArray(['SS', 'SC', null, 'SS', 'Sb0', 'SC', 'SS'], new Utf8()) });
    expect(Array.from(readCategoryCodes(plain, 'g', ['SS', 'SC', 'Sb0']))).toEqual([0, 1, -1, 0, 2, 1, 0]);
  });

  test('a dictionary value outside the categories is refused naming its row and column', () => {
    const a = dictionaryChunk(['SS'], [0, 0]);
    const b = dictionaryChunk(['SS', 'XX'], [0, 1]);
    const table = new Table({ g: makeVector([a, b]) });
    expect(() => readCategoryCodes(table, 'g', ['SS', 'SC'])).toThrow(/row 4, column "g" but received "XX"/);
  });
});
