/** Public API of src/backend. */
export {};
