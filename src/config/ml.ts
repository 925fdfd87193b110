/**
 * Settings of Vigil's machine learning (`Config.ml`): UEBA, log templates, training and retraining,
 * attack paths. Read from the environment (`VIGIL_<KEY>`), else the YAML file's key of the same
 * name in snake_case, else the default. See `docs/ml.md`.
 */
import { bool, commaList, float, int, type Raw } from './values.js';

export interface MlConfig {
  /** Score entities' behaviour in the detection stage (`VIGIL_UEBA`, default true). */
  readonly ueba: boolean;
  /** UEBA feature window per entity, ms of event time (`VIGIL_UEBA_WINDOW_MS`, default 3,600,000 = 1 h). */
  readonly uebaWindowMs: number;
  /** Anomaly score in [0, 1] at or above which a UEBA window becomes an alert (`VIGIL_UEBA_THRESHOLD`, default 0.65). */
  readonly uebaThreshold: number;
  /** How long (event time) a UEBA window waits after its end for late events, ms (`VIGIL_UEBA_LATENESS_MS`, default 300,000 = 5 min). */
  readonly uebaLatenessMs: number;
  /** Wall time without new events after which UEBA windows that ended by the wall clock close, ms (`VIGIL_UEBA_IDLE_MS`, default 300,000 = 5 min). */
  readonly uebaIdleMs: number;
  /** Mine templates for log lines no decoder understands (`VIGIL_TEMPLATES`, default true). */
  readonly templates: boolean;
  /** Retrain the service's models every this many ms; 0 = only on request (`VIGIL_ML_RETRAIN_MS`, default 86,400,000 = 24 h). */
  readonly retrainMs: number;
  /** Event-time span a scheduled training reads, ms back from now (`VIGIL_ML_TRAINING_WINDOW_MS`, default 7 days). */
  readonly trainingWindowMs: number;
  /** Host names and IP addresses marked critical at start (`VIGIL_CRITICAL_ASSETS`, comma-separated). */
  readonly criticalAssets: readonly string[];
}

/** The YAML keys this module reads (for the unknown-key check). */
export const ML_FILE_KEYS = [
  'ueba',
  'ueba_window_ms',
  'ueba_threshold',
  'ueba_lateness_ms',
  'ueba_idle_ms',
  'templates',
  'ml_retrain_ms',
  'ml_training_window_ms',
  'critical_assets',
] as const;

type Read = (key: (typeof ML_FILE_KEYS)[number]) => [Raw, string];

/**
 * @param env - the environment
 * @param file - the YAML file's settings
 * @throws VigilError `VIGIL_ERR_CONFIG` naming the bad setting
 */
export function loadMlConfig(
  env: Readonly<Record<string, string | undefined>>,
  file: Readonly<Record<string, Raw>>,
  filePath: string | undefined,
): MlConfig {
  const read: Read = (key) => {
    const envName = `VIGIL_${key.toUpperCase()}`;
    if (env[envName] !== undefined) return [env[envName], envName];
    return [file[key], filePath !== undefined ? `${filePath}: ${key}` : envName];
  };
  return {
    ueba: bool(true)(...read('ueba')),
    uebaWindowMs: int(60_000, 7 * 86_400_000, 3_600_000)(...read('ueba_window_ms')),
    uebaThreshold: float(0, 1, 0.65)(...read('ueba_threshold')),
    uebaLatenessMs: int(0, 86_400_000, 300_000)(...read('ueba_lateness_ms')),
    uebaIdleMs: int(100, 86_400_000, 300_000)(...read('ueba_idle_ms')),
    templates: bool(true)(...read('templates')),
    retrainMs: int(0, 365 * 86_400_000, 86_400_000)(...read('ml_retrain_ms')),
    trainingWindowMs: int(3_600_000, 365 * 86_400_000, 7 * 86_400_000)(...read('ml_training_window_ms')),
    criticalAssets: commaList(...read('critical_assets')),
  };
}
