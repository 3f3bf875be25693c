/** Public API of src/anonymise. */
export {};
