export {
  RandomForest,
  type RandomForestOptions,
  type RandomForestJSON,
  type TreeJSON,
  type ForestParams,
  resolveParams,
  DEFAULT_TREES,
  DEFAULT_SEED,
} from './random-forest.js';
export {
  crossValidate,
  stratifiedFolds,
  type CrossValidation,
  type CrossValidationOptions,
} from './cross-validate.js';
export { classificationReport, type ClassificationReport, type ClassFigures } from './metrics.js';
export { binMatrix, numericEdges, numericBin, MAX_NUMERIC_BINS, type BinnedMatrix } from './binning.js';
