/** Public API of src/demo: the end-to-end main job on built-in data. */
export { runDemo, shippedFile } from './run-demo';
export type { DemoOptions, DemoSummary, DemoSiteSummary } from './run-demo';
