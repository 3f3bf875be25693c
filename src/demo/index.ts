/** Public API of src/demo: the end-to-end main job on built-in data. */
export { runDemo, checkDemoOptions, shippedFile } from './run-demo';
export type { DemoOptions, DemoOptionNames, DemoSummary, DemoSiteSummary } from './run-demo';
