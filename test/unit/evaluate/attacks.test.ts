// Hand-computed cases of the singling-out and attribute-inference attacks.
import { singlingOutAttack, univariatePredicates, countMatches } from '../../../src/evaluate/privacy/singling-out';
import { inferenceAttack } from '../../../src/evaluate/privacy/attribute-inference';
import { EvalTable } from '../../../src/evaluate/table-columns';

const num = (cols: Record<string, number[]>): EvalTable => ({
  nRows: Object.values(cols)[0].length,
  columns: Object.entries(cols).map(([name, v]) => ({ name, kind: 'numeric' as const, integer: true, values: Float64Array.from(v) })),
});

describe('singling out', () => {
  it('builds univariate predicates from unique synthetic values and extremes', () => {
    const syn = num({ x: [1, 2, 2, 3] });
    const p = univariatePredicates(syn).map((q) => `${q[0].op}${q[0].value}`).sort();
    expect(p).toEqual(['<=1', '==1', '==3', '>=3']);
    expect(countMatches(num({ x: [1, 1, 3, 4] }), [{ column: 0, op: '>=', value: 3 }])).toBe(2);
  });
  it('counts predicates that isolate exactly one training or control record', () => {
    // Training [1,1,3,4]: only x==3 isolates one record; control [2,2,2,2]: none.
    const r = singlingOutAttack(num({ x: [1, 1, 3, 4] }), num({ x: [1, 2, 2, 3] }), num({ x: [2, 2, 2, 2] }), { mode: 'univariate', confidenceLevel: 0.95 })!;
    expect(r.predicatesFound).toBe(4);
    expect(r.attack.successes).toBe(1);
    expect(r.control!.successes).toBe(0);
    expect(r.attack.rate).toBeCloseTo(0.3725, 4);
  });
});

describe('attribute inference', () => {
  it('guesses the secret of the nearest synthetic record (categories exact, numbers within 5%)', () => {
    const train: EvalTable = { nRows: 2, columns: [
      { name: 'a', kind: 'numeric', integer: true, values: Float64Array.of(1, 9) },
      { name: 's', kind: 'categorical', categories: ['x', 'y'], codes: Int32Array.of(0, 0) },
      { name: 'v', kind: 'numeric', integer: false, values: Float64Array.of(100, 100) },
    ] };
    const syn: EvalTable = { nRows: 2, columns: [
      { name: 'a', kind: 'numeric', integer: true, values: Float64Array.of(0, 10) },
      { name: 's', kind: 'categorical', categories: ['x', 'y'], codes: Int32Array.of(0, 1) },
      { name: 'v', kind: 'numeric', integer: false, values: Float64Array.of(104, 106) },
    ] };
    const cat = inferenceAttack(train, syn, null, { secret: 's', auxColumns: ['a'], confidenceLevel: 0 });
    expect(cat.attack.successes).toBe(1);
    expect(cat.risk).toBe(0.5);
    const v = inferenceAttack(train, syn, null, { secret: 'v', auxColumns: ['a'], confidenceLevel: 0 });
    expect(v.attack.successes).toBe(1); // 104 is within 5% of 100, 106 is not
  });
});
