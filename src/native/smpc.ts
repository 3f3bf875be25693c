/** Declarations of bindings/smpc.cpp. One method per exported native function. */
export interface SmpcBindings {
  /** wraps hemasynth::chacha20_block over consecutive blocks (RFC 8439 §2.4 keystream: 32-byte key, 12-byte nonce, 32-bit counter) */
  smpcChacha20Keystream(key: Uint8Array, nonce: Uint8Array, counter: number, length: number): Uint8Array;
  /** wraps hemasynth::smpc::encode_fixed_point */
  smpcEncodeFixedPoint(values: Float64Array, scale: number, clip: number, noise: Float64Array | null, threads: number): { encoded: BigUint64Array; clipped: number };
  /** wraps hemasynth::smpc::decode_fixed_point */
  smpcDecodeFixedPoint(sum: BigUint64Array, scale: number, bound: number, threads: number): Float64Array;
  /** wraps hemasynth::smpc::fixed_point_capacity_ok */
  smpcCapacityOk(perPartyBound: number, parties: number): boolean;
  /** wraps hemasynth::smpc::ring_add (acc updated in place; subtracts when `subtract`) */
  smpcRingAdd(acc: BigUint64Array, x: BigUint64Array, offset: number, threads: number, subtract?: boolean): void;
  /** wraps hemasynth::smpc::apply_masks (vector updated in place; AES-256-CTR path `auto` by default) */
  smpcApplyMasks(vector: BigUint64Array, seeds: Uint8Array, signs: Int32Array, threads: number, path?: 'auto' | 'vaes512' | 'aesni'): void;
  /** wraps hemasynth::smpc::aes_ctr_path_name (the native AES-256-CTR path of this CPU) */
  smpcMaskPrgPath(): 'vaes512' | 'aesni' | 'none';
  /** wraps hemasynth::smpc::shamir_split */
  smpcShamirSplit(secret: Uint8Array, threshold: number, shares: number, randomness: Uint8Array): BigUint64Array;
  /** wraps hemasynth::smpc::shamir_combine */
  smpcShamirCombine(xs: Int32Array, ys: BigUint64Array, secretLength: number): Uint8Array;
}
