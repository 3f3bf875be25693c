/**
 * Runs one site of a federation from plain options (the `federate site` command and the
 * processes of `federate simulate`). The site does not need to know the model in advance: the
 * coordinator names it in every round plan, and the site builds that protocol's site task on
 * first use.
 */
import { randomInt } from 'node:crypto';
import * as fs from 'node:fs';
import { HemasynthError, UsageError, describeValue } from '../errors';
import { loadPartyCredentials, checkSiteName } from './pki';
import { FederationSite, SiteFaultPoint } from './site';
import type { FederationLog } from './coordinator';
import { stderrLog } from './coordinator';
import { federatedModel } from './task';
import type { SiteRoundContext, SiteTask, SiteTaskOptions } from './task';
import './tasks';
import { VisitsSiteTask } from './tasks/visits-round';

/** Options of {@link runSite}. */
export interface RunSiteOptions {
  coordinator: string;
  pki: string;
  name: string;
  data: string;
  /** This site's visits table, for a federation that trains a visits model. */
  visits?: string;
  ledgerFile?: string;
  budget?: { epsilon: number; delta: number };
  /** Drill: probability that the site drops its connection at a random phase of each round attempt. */
  dropout?: number;
  /** Drill: make the site answer each phase this many milliseconds late. */
  delayMs?: number;
  serverName?: string;
  connectTimeoutMs?: number;
  threads?: number;
  quiet?: boolean;
}

/** A site task that builds the task of whichever model the coordinator's plan names. */
export class ModelDispatchSiteTask implements SiteTask {
  private tasks = new Map<string, SiteTask>();
  private visits?: VisitsSiteTask;
  constructor(readonly options: SiteTaskOptions) {}

  localVector(plan: unknown, ctx: SiteRoundContext): Promise<Float64Array> | Float64Array {
    // The visits round of a federation with visits (tasks/visits-round.ts), whatever the model;
    // the model's own rounds then come with the offset of that round.
    if ((plan as { task?: unknown })?.task === 'visits') return (this.visits ??= new VisitsSiteTask(this.options)).localVector(plan, ctx);
    const offset = (plan as { roundOffset?: unknown })?.roundOffset ?? 0;
    if (!(Number.isInteger(offset) && (offset as number) >= 0 && (offset as number) <= ctx.round)) throw new HemasynthError(`round plan with a bad round offset (received ${describeValue(offset)})`);
    const model = (plan as { model?: unknown })?.model;
    if (typeof model !== 'string') throw new HemasynthError(`round plan without a model name (received ${describeValue(model)})`);
    let task = this.tasks.get(model);
    if (!task) {
      task = federatedModel(model).site(this.options);
      this.tasks.set(model, task);
    }
    return task.localVector(plan, { ...ctx, round: ctx.round - (offset as number) });
  }
}

const POINTS: SiteFaultPoint[] = ['advertise', 'share', 'mask', 'unmask'];

/**
 * Connects a site to the coordinator and serves rounds until the federation finishes.
 * @example await runSite({ coordinator: 'cc.example.org:7070', pki: 'pki', name: 'it1', data: 'site-IT1.arrow' })
 */
export async function runSite(o: RunSiteOptions): Promise<{ contributed: number[] }> {
  checkSiteName(o.name, '--name');
  if (o.visits !== undefined && !fs.existsSync(o.visits)) throw new UsageError(`Expected a readable visits file for --visits but received ${JSON.stringify(o.visits)} (not found)`);
  if (o.dropout !== undefined && !(o.dropout >= 0 && o.dropout < 1)) throw new UsageError(`Expected a probability in [0, 1) for --dropout but received ${describeValue(o.dropout)}`);
  const log: FederationLog = o.quiet ? () => undefined : stderrLog;
  const task = new ModelDispatchSiteTask({ site: o.name, dataFile: o.data, visitsFile: o.visits, ledgerFile: o.ledgerFile, budget: o.budget });
  // Drop-out drill: per round attempt, with probability p, one phase (drawn uniformly) drops the connection.
  const drops = new Map<string, SiteFaultPoint | null>();
  const fault = (point: SiteFaultPoint, round: number, attempt: number) => {
    if (o.delayMs) return `delay:${o.delayMs}` as const;
    if (!o.dropout) return 'go' as const;
    const key = `${round}/${attempt}`;
    if (!drops.has(key)) drops.set(key, randomInt(1_000_000) < o.dropout * 1_000_000 ? POINTS[randomInt(POINTS.length)] : null);
    return drops.get(key) === point ? ('disconnect' as const) : ('go' as const);
  };
  const site = new FederationSite({
    coordinator: o.coordinator, credentials: loadPartyCredentials({ dir: o.pki, party: o.name }), name: o.name, task, log,
    serverName: o.serverName, connectTimeoutMs: o.connectTimeoutMs, threads: o.threads, fault,
  });
  return site.run();
}
