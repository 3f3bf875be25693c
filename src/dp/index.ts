/** Public API of src/dp. */
export {};
