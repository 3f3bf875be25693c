/**
 * Renders Vega-Lite specifications to SVG on the server (vega-lite compiles to Vega; vega's
 * headless View renders SVG without a browser or canvas). Vega-Lite is the grammar of
 * graphics most used for statistical reporting on the web; rendering here keeps report.html
 * free of scripts and network access.
 */
import * as vega from 'vega';
import { compile, TopLevelSpec } from 'vega-lite';

/** A Vega-Lite specification with inline data (never a URL). */
export type ChartSpec = Record<string, unknown>;

/**
 * SVG markup of a Vega-Lite chart.
 * @example const svg = await renderSvg({ data: { values: [{ a: 1 }] }, mark: 'point', encoding: { x: { field: 'a', type: 'quantitative' } } })
 */
export async function renderSvg(spec: ChartSpec): Promise<string> {
  const data = spec.data as { url?: unknown } | undefined;
  if (data && data.url !== undefined) throw new RangeError('Expected inline chart data but received a data URL: the report must open offline');
  const compiled = compile({ config: { font: 'sans-serif' }, ...spec } as unknown as TopLevelSpec).spec;
  // A loader that refuses every request: a chart can never reach the network.
  const loader = vega.loader();
  loader.load = async (uri: string) => { throw new Error(`the report renderer loads nothing (asked for ${uri})`); };
  const view = new vega.View(vega.parse(compiled), { renderer: 'none', loader });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
