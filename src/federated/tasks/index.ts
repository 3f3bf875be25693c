/**
 * The learning protocols that ship with hemasynth, registered under their generator names.
 * `marginal`: secure sums of noisy marginal counts (tasks/marginal.ts). Neural generators plug
 * federated averaging (tasks/fedavg.ts) in with their own model description and data loader.
 */
import { registerFederatedModel, federatedModels } from '../task';
import { federatedMarginal } from './marginal';

if (!federatedModels().includes('marginal')) registerFederatedModel('marginal', federatedMarginal);

export { MarginalCoordinatorTask, MarginalSiteTask, federatedMarginal, federationSchema, edgesFromHistogram, FEDERATED_MARGINAL_SHARES, DEFAULT_HISTOGRAM_BINS, DEFAULT_MAX_CANDIDATE_PAIRS, DEFAULT_MAX_SITE_ROWS } from './marginal';
export { FedAvgCoordinatorTask, FedAvgSiteTask, siteLedger, FEDAVG_SCALE } from './fedavg';
export type { FedAvgCoordinatorOptions, FedAvgSiteOptions, FedAvgRound } from './fedavg';
