/** Public API of src/scd. */
export {};
