/** Log template mining (Drain-style, with low-cardinality splitting) and entity extraction: docs/templates.md. */
export {
  DEFAULT_MINER_OPTIONS,
  MINER_FORMAT,
  MINER_FORMAT_VERSION,
  type MinerOptions,
  type MinerState,
  type TemplateCluster,
  type TemplateMatch,
  TemplateMiner,
} from './miner.js';
export { type Entities, extractEntities } from './entities.js';
export { WILDCARD, type MaskedToken, maskToken } from './masking.js';
