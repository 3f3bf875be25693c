/** The fitted latent prior of a non-private TVAE (src/models/tvae/latent-prior.ts). */
import { evenlySpacedRows, fittedLatentPrior } from '../../../src/models/tvae/latent-prior';
import { UsageError } from '../../../src/errors';

describe('fittedLatentPrior', () => {
  // Three rows of a 2-dimensional latent: posterior means (1, 0), (3, 2), (2, 4); log-variances log 0.5 and log 2.
  const lv = [Math.log(0.5), Math.log(2)];
  const encoded = Float32Array.from([1, 0, ...lv, 3, 2, ...lv, 2, 4, ...lv]);

  test('its layer maps N(0, I) noise to the aggregate posterior: mean of the means, their covariance plus the mean variance', () => {
    const { layer, parameters, mean, covariance } = fittedLatentPrior(encoded, 3, 2);
    expect(layer).toEqual({ type: 'linear', outputs: 2 });
    expect(Array.from(mean)).toEqual([2, 2]);
    // cov of the means: var 2/3 and 8/3, covariance 2/3; plus the posterior variances 0.5 and 2
    const expected = [2 / 3 + 0.5, 2 / 3, 2 / 3, 8 / 3 + 2];
    covariance.forEach((c, k) => expect(c).toBeCloseTo(expected[k], 5));
    // y = x W + b: W Wᵀ... with W[i][o] = L[o][i], Wᵀ W = L Lᵀ = C, and b = m
    const W = [[parameters[0], parameters[1]], [parameters[2], parameters[3]]];
    expect(W[1][0]).toBe(0); // lower-triangular L: W is upper triangular
    for (let o = 0; o < 2; o++) for (let p = 0; p < 2; p++) expect(W[0][o] * W[0][p] + W[1][o] * W[1][p]).toBeCloseTo(expected[o * 2 + p], 5);
    expect(Array.from(parameters.subarray(4))).toEqual([2, 2]);
  });

  test('large tables are read through evenly spaced rows', () => {
    const x = Float32Array.from({ length: 10 * 2 }, (_, k) => Math.floor(k / 2));
    const { rows, count } = evenlySpacedRows(x, 10, 2, 4);
    expect(count).toBe(4);
    expect(Array.from(rows)).toEqual([0, 0, 2, 2, 5, 5, 7, 7]);
    expect(evenlySpacedRows(x, 10, 2, 10).rows).toBe(x);
  });

  test('refuses an encoder output of the wrong size', () => {
    expect(() => fittedLatentPrior(encoded, 4, 2)).toThrow(UsageError);
    expect(() => fittedLatentPrior(new Float32Array(0), 0, 2)).toThrow(/Expected 0 rows of 4 encoder outputs/);
  });
});
