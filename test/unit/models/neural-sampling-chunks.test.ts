/**
 * Neural sampling runs the network chunk by chunk and reuses one output array for the full
 * chunks (neural-sampling.ts): a chunk must never see the previous chunk's output, so rows are
 * the same whether their chunk was written into the reused array or into a fresh one.
 */
import { sampleModel, trainModel } from '../../../src/models';
import { SAMPLING_CHUNK_ROWS } from '../../../src/models/neural/neural-sampling';
import { readNumbers } from '../../../src/transform/column-values';
import { neuralCohort } from './neural-fixture';

describe('neural sampling by chunks', () => {
  it('rows of a full (reused-array) second chunk equal the same rows from a partial (fresh-array) one', () => {
    const { table, schema } = neuralCohort(300, 11, ['genotype', 'sex', 'hb_g_dl', 'ldh_u_l', 'age_years']);
    const model = trainModel({ table, schema, model: 'tvae', epsilon: Infinity, seed: 2, options: { epochs: 2, backend: 'auto' } });
    const full = sampleModel(model, { rows: 2 * SAMPLING_CHUNK_ROWS + 100, seed: 5 });
    const partial = sampleModel(model, { rows: SAMPLING_CHUNK_ROWS + 7000, seed: 5 });
    for (const c of ['hb_g_dl', 'ldh_u_l', 'age_years']) {
      const a = readNumbers(full, c), b = readNumbers(partial, c);
      // The first chunk (reused array, written first) and the rows of the second that both hold.
      for (const [from, to] of [[0, SAMPLING_CHUNK_ROWS], [SAMPLING_CHUNK_ROWS, SAMPLING_CHUNK_ROWS + 7000]]) {
        expect(Array.from(a.subarray(from, to))).toEqual(Array.from(b.subarray(from, to)));
      }
    }
    // The chunks differ from each other (the second did not repeat the first's output).
    const hb = readNumbers(full, 'hb_g_dl');
    expect(Array.from(hb.subarray(SAMPLING_CHUNK_ROWS, SAMPLING_CHUNK_ROWS + 500))).not.toEqual(Array.from(hb.subarray(0, 500)));
  });
});
