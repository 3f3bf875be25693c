/**
 * The learning protocols that ship with hemasynth, registered under their generator names.
 * `marginal`: secure sums of noisy marginal counts (tasks/marginal.ts); `copula`: secure sums of
 * noisy 1-way counts and normal-score products (tasks/copula.ts); `tvae`: secure DP-SGD or
 * federated averaging of the VAE (tasks/tvae.ts over tasks/secure-dp-sgd.ts and tasks/fedavg.ts);
 * `ctgan`: the critic by secure DP-SGD, the generator through it at the coordinator (tasks/ctgan.ts).
 */
import { registerFederatedModel, federatedModels } from '../task';
import { federatedMarginal } from './marginal';
import { federatedTvae } from './tvae';
import { federatedCopula } from './copula';
import { federatedCtgan } from './ctgan';

if (!federatedModels().includes('marginal')) registerFederatedModel('marginal', federatedMarginal);
if (!federatedModels().includes('tvae')) registerFederatedModel('tvae', federatedTvae);
if (!federatedModels().includes('copula')) registerFederatedModel('copula', federatedCopula);
if (!federatedModels().includes('ctgan')) registerFederatedModel('ctgan', federatedCtgan);

export { MarginalCoordinatorTask, MarginalSiteTask, federatedMarginal, FEDERATED_MARGINAL_SHARES, DEFAULT_MAX_CANDIDATE_PAIRS, DEFAULT_MAX_SITE_ROWS } from './marginal';
export { FederatedDiscretisation, federationSchema, edgesFromHistogram, siteHistograms, DEFAULT_HISTOGRAM_BINS } from './federated-discretisation';
export { SiteRoundLedger } from './site-round-ledger';
export { FedAvgCoordinatorTask, FedAvgSiteTask, siteLedger, FEDAVG_SCALE } from './fedavg';
export type { FedAvgCoordinatorOptions, FedAvgSiteOptions, FedAvgRound } from './fedavg';
export { TvaeCoordinatorTask, TvaeSiteTask, federatedTvae, tvaePartsFromParameters, FEDERATED_TVAE_DEFAULTS } from './tvae';
export { federatedModelFile } from './federated-model';
export { CopulaCoordinatorTask, CopulaSiteTask, federatedCopula } from './copula';
export { SecureDpSgdCoordinatorTask, SecureDpSgdSiteTask, encodedSensitivity, SECURE_DP_SGD_SCALE } from './secure-dp-sgd';
export { CtganCoordinatorTask, CtganSiteTask, federatedCtgan, FEDERATED_CTGAN_DEFAULTS } from './ctgan';
