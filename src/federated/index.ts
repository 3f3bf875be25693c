/**
 * Public API of src/federated: secure aggregation (pairwise masking, two-server sharing), the
 * gRPC/mTLS coordinator and site runtime, PKI for quick starts, and the learning-task registry
 * that generators plug into.
 */
export { ProtocolViolation, RoundAborted } from './errors';
export { encodeFixedPoint, decodeFixedPoint, assertCapacity, ringAdd, applyMasks, maskPrgPath, SEED_BYTES } from './ring-codec';
export type { MaskEngine } from './ring-codec';
export type { FixedPointFormat } from './ring-codec';
export { splitSecret, combineShares } from './shamir';
export type { ShamirShare } from './shamir';
export { generateX25519, x25519Agree, x25519PublicOf, deriveKey, aeadSeal, aeadOpen } from './key-agreement';
export { PairwiseMaskingSite, PairwiseAggregator, pairwiseSeed, advertisementStatement, survivorStatement } from './pairwise-masking';
export { FederationIdentity, signedStatement } from './site-identity';
export type { AggregationContext, KeyAdvertisement, ShareBundle, ShareDelivery, UnmaskRequest, SignedUnmaskRequest, UnmaskResponse } from './pairwise-masking';
export { parseSecureAggregationMode, defaultThreshold, SECURE_AGGREGATION_MODES } from './secure-aggregation';
export type { SecureAggregationMode } from './secure-aggregation';
export { createFederationPki, loadPartyCredentials, certificateCommonName, checkSiteName, parseSiteList, COORDINATOR_NAME, HELPER_NAME } from './pki';
export type { PartyCredentials, PkiFiles } from './pki';
export { FederationCoordinator, stderrLog } from './coordinator';
export type { CoordinatorOptions, FederationLog } from './coordinator';
export { FederationSite } from './site';
export type { SiteOptions, SiteFaultPoint } from './site';
export { ShareHelperServer } from './share-helper';
export { registerFederatedModel, federatedModel, federatedModels } from './task';
export type { CoordinatorTask, SiteTask, RoundPlan, AggregateInfo, CoordinatorTaskOptions, SiteTaskOptions, FederatedModelDefinition } from './task';
export { PROTO_FILE, MAX_MESSAGE_BYTES, CHUNK_WORDS, MAX_VECTOR_WORDS } from './transport';
export { runFederatedSimulation, siteFilesIn, siteNameOf } from './simulation';
export type { FederatedSimulationOptions, FederatedSimulationResult } from './simulation';
export { runSite, ModelDispatchSiteTask } from './site-runner';
export type { RunSiteOptions } from './site-runner';
export { MarginalCoordinatorTask, MarginalSiteTask, federatedMarginal, federationSchema, edgesFromHistogram, FEDERATED_MARGINAL_SHARES, FedAvgCoordinatorTask, FedAvgSiteTask, siteLedger, FEDAVG_SCALE } from './tasks';
export type { FedAvgCoordinatorOptions, FedAvgSiteOptions, FedAvgRound } from './tasks';
