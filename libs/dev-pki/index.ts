export { DEV_CA_DN, ensureDevPki, generateDevPki, loadDevPkiManifest, ROGUE_VOMS_HOST, UNTRUSTED_CA_DN, VOMS_HOST } from './generate';
export type { DevPkiOptions } from './generate';
export type { DevPkiAc, DevPkiCa, DevPkiEntity, DevPkiManifest, DevPkiProxy, DevPkiUser, DevPkiVomsServer } from './manifest';
/** Low-level certificate/CRL/AC builders, for tests that need hand-made (often deliberately broken) material. */
export * as PkiBuilder from './builder';
export { acSeqExtension, attributeCertificate } from './voms-ac';
export type { AcSpec, AcTweak } from './voms-ac';
