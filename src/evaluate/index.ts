/** Public API of src/evaluate. */
export {};
