/**
 * The service's configuration: one typed, validated object built at start from, in order of
 * precedence, command-line flags > environment > a YAML file > defaults. Nothing else in Vigil
 * reads `process.env`.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { AUTH_FILE_KEYS, type AuthConfig, loadAuthConfig } from './auth.js';
import { loadMlConfig, ML_FILE_KEYS, type MlConfig } from './ml.js';
import { bad, bool, int, list, type Raw, text, timezone, url } from './values.js';

/** The validated configuration of `vigil serve`. */
export interface Config {
  /** HTTP API port (`VIGIL_PORT`, default 8080; 0 = any free port). */
  readonly port: number;
  /** Address the API and listeners bind (`VIGIL_HOST`, default 127.0.0.1). */
  readonly host: string;
  /** Directory of the embedded database and the lock file (`VIGIL_DATA_DIR`, default `./data`). */
  readonly dataDir: string;
  /** Extra Sigma rule directories beside Vigil's pack (`VIGIL_RULES`, `:`-separated). */
  readonly rules: readonly string[];
  /** Load Vigil's own rule pack (`VIGIL_BUILTIN_RULES`, default true). */
  readonly builtinRules: boolean;
  /** PostgreSQL connection string (`DATABASE_URL`); absent = embedded PGlite under `dataDir`. */
  readonly databaseUrl: string | undefined;
  /** Syslog UDP+TCP port (`VIGIL_SYSLOG_PORT`, default 5514, 0 = off). */
  readonly syslogPort: number;
  /** Elasticsearch-compatible bulk listener port (`VIGIL_ES_PORT`, default 9200, 0 = off). */
  readonly esPort: number;
  /** PEM certificate and key files for HTTPS on the API (`VIGIL_TLS_CERT`, `VIGIL_TLS_KEY`). */
  readonly tls: { readonly cert: string; readonly key: string } | undefined;
  /** Redis and NATS URLs (used by later features; validated now). */
  readonly redisUrl: string | undefined;
  readonly natsUrl: string | undefined;
  /** Year and IANA zone given to RFC 3164 syslog lines, which carry neither (`VIGIL_SYSLOG_YEAR`, `VIGIL_SYSLOG_TIMEZONE`). */
  readonly syslogYear: number | undefined;
  readonly syslogTimezone: string;
  /** Largest accepted request body, bytes (`VIGIL_MAX_BODY_BYTES`, default 10 MiB). */
  readonly maxBodyBytes: number;
  /** Events waiting to be stored before ingest answers 429 (`VIGIL_INGEST_QUEUE`, default 50,000). */
  readonly ingestQueueEvents: number;
  /** Events per database write (`VIGIL_BATCH_EVENTS`, default 1,000). */
  readonly batchEvents: number;
  /** Alert suppression window, ms (`VIGIL_SUPPRESS_MS`, default 3,600,000; 0 = off). */
  readonly suppressMs: number;
  /** Incident grouping window, ms of event time (`VIGIL_INCIDENT_WINDOW_MS`, default 86,400,000 = 24 h; 0 = alerts open no incidents; docs/incidents.md). */
  readonly incidentWindowMs: number;
  /** Entities alerts are grouped into incidents on (`VIGIL_INCIDENT_GROUP_BY`, comma-separated `host,user,ip`, the default). */
  readonly incidentGroupBy: readonly ('host' | 'user' | 'ip')[];
  /** How late (event time) a match may arrive and still be correlated in order, ms (`VIGIL_CORRELATION_LATENESS_MS`, default 30,000). */
  readonly correlationLatenessMs: number;
  /** Correlation groups held at most; the least recently updated are shed, counted (`VIGIL_CORRELATION_MAX_GROUPS`, default 100,000). */
  readonly correlationMaxGroups: number;
  /** Matches held per correlation group window (`VIGIL_CORRELATION_MAX_EVENTS_PER_GROUP`, default 10,000). */
  readonly correlationMaxEventsPerGroup: number;
  /** Minimum interval between correlation state snapshots, ms (`VIGIL_CORRELATION_SNAPSHOT_MS`, default 10,000). */
  readonly correlationSnapshotMs: number;
  /** Entity risk score that raises a risk incident, points (`VIGIL_RISK_THRESHOLD`, default 100; docs/risk.md). */
  readonly riskThreshold: number;
  /** Half-life of an alert's risk, ms of detection time (`VIGIL_RISK_HALF_LIFE_MS`, default 86,400,000 = 24 h). */
  readonly riskHalfLifeMs: number;
  /** Log level for pino (`VIGIL_LOG_LEVEL`, default info). */
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Accounts and access (`config/auth.ts`). */
  readonly auth: AuthConfig;
  /** Machine learning: UEBA, templates, training, attack paths (`config/ml.ts`). */
  readonly ml: MlConfig;
}

/** Flags of `vigil serve`, already parsed by the CLI; each overrides its environment variable. */
export interface ConfigFlags {
  readonly port?: string | undefined;
  readonly host?: string | undefined;
  readonly dataDir?: string | undefined;
  readonly rules?: readonly string[] | undefined;
  readonly config?: string | undefined;
}

interface Setting<K extends keyof Config> {
  readonly key: K;
  readonly env: string;
  /** Key in the YAML file. */
  readonly file: string;
  readonly flag?: keyof ConfigFlags;
  readonly parse: (value: Raw, name: string) => Config[K];
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const SETTINGS: { [K in keyof Config]: Setting<K> } = {
  port: { key: 'port', env: 'VIGIL_PORT', file: 'port', flag: 'port', parse: int(0, 65535, 8080) },
  host: {
    key: 'host',
    env: 'VIGIL_HOST',
    file: 'host',
    flag: 'host',
    parse: text('127.0.0.1') as (v: Raw, n: string) => string,
  },
  dataDir: {
    key: 'dataDir',
    env: 'VIGIL_DATA_DIR',
    file: 'data_dir',
    flag: 'dataDir',
    parse: (v, name) => resolve(text('./data')(v, name)!),
  },
  rules: { key: 'rules', env: 'VIGIL_RULES', file: 'rules', flag: 'rules', parse: list },
  builtinRules: { key: 'builtinRules', env: 'VIGIL_BUILTIN_RULES', file: 'builtin_rules', parse: bool(true) },
  databaseUrl: {
    key: 'databaseUrl',
    env: 'DATABASE_URL',
    file: 'database_url',
    parse: url(['postgres:', 'postgresql:']),
  },
  syslogPort: {
    key: 'syslogPort',
    env: 'VIGIL_SYSLOG_PORT',
    file: 'syslog_port',
    parse: int(0, 65535, 5514),
  },
  esPort: { key: 'esPort', env: 'VIGIL_ES_PORT', file: 'es_port', parse: int(0, 65535, 9200) },
  tls: { key: 'tls', env: '', file: '', parse: () => undefined },
  auth: { key: 'auth', env: '', file: '', parse: () => undefined as unknown as AuthConfig },
  ml: { key: 'ml', env: '', file: '', parse: () => undefined as unknown as MlConfig },
  redisUrl: { key: 'redisUrl', env: 'REDIS_URL', file: 'redis_url', parse: url(['redis:', 'rediss:']) },
  natsUrl: { key: 'natsUrl', env: 'NATS_URL', file: 'nats_url', parse: url(['nats:', 'tls:']) },
  syslogYear: {
    key: 'syslogYear',
    env: 'VIGIL_SYSLOG_YEAR',
    file: 'syslog_year',
    parse: (v, name) => (v === undefined || v === '' ? undefined : int(1970, 9999, 0)(v, name)),
  },
  syslogTimezone: {
    key: 'syslogTimezone',
    env: 'VIGIL_SYSLOG_TIMEZONE',
    file: 'syslog_timezone',
    parse: timezone,
  },
  maxBodyBytes: {
    key: 'maxBodyBytes',
    env: 'VIGIL_MAX_BODY_BYTES',
    file: 'max_body_bytes',
    parse: int(1024, 1 << 30, 10 * 1024 * 1024),
  },
  ingestQueueEvents: {
    key: 'ingestQueueEvents',
    env: 'VIGIL_INGEST_QUEUE',
    file: 'ingest_queue',
    parse: int(100, 10_000_000, 50_000),
  },
  batchEvents: {
    key: 'batchEvents',
    env: 'VIGIL_BATCH_EVENTS',
    file: 'batch_events',
    parse: int(1, 100_000, 1000),
  },
  suppressMs: {
    key: 'suppressMs',
    env: 'VIGIL_SUPPRESS_MS',
    file: 'suppress_ms',
    parse: int(0, 30 * 86_400_000, 3_600_000),
  },
  incidentWindowMs: {
    key: 'incidentWindowMs',
    env: 'VIGIL_INCIDENT_WINDOW_MS',
    file: 'incident_window_ms',
    parse: int(0, 365 * 86_400_000, 86_400_000),
  },
  incidentGroupBy: {
    key: 'incidentGroupBy',
    env: 'VIGIL_INCIDENT_GROUP_BY',
    file: 'incident_group_by',
    parse: (v, name) => {
      const all = ['host', 'user', 'ip'] as const;
      if (v === undefined || v === '') return all;
      const items = (Array.isArray(v) ? v : String(v).split(','))
        .map((s) => String(s).trim())
        .filter(Boolean);
      const out = all.filter((e) => items.includes(e));
      const unknown = items.filter((s) => !all.some((e) => e === s));
      if (unknown.length > 0 || out.length === 0)
        throw bad(name, `expected a comma-separated list of host, user, ip, got "${String(v)}"`);
      return out;
    },
  },
  correlationLatenessMs: {
    key: 'correlationLatenessMs',
    env: 'VIGIL_CORRELATION_LATENESS_MS',
    file: 'correlation_lateness_ms',
    parse: int(0, 86_400_000, 30_000),
  },
  correlationMaxGroups: {
    key: 'correlationMaxGroups',
    env: 'VIGIL_CORRELATION_MAX_GROUPS',
    file: 'correlation_max_groups',
    parse: int(1, 100_000_000, 100_000),
  },
  correlationMaxEventsPerGroup: {
    key: 'correlationMaxEventsPerGroup',
    env: 'VIGIL_CORRELATION_MAX_EVENTS_PER_GROUP',
    file: 'correlation_max_events_per_group',
    parse: int(1, 10_000_000, 10_000),
  },
  correlationSnapshotMs: {
    key: 'correlationSnapshotMs',
    env: 'VIGIL_CORRELATION_SNAPSHOT_MS',
    file: 'correlation_snapshot_ms',
    parse: int(0, 3_600_000, 10_000),
  },
  riskThreshold: {
    key: 'riskThreshold',
    env: 'VIGIL_RISK_THRESHOLD',
    file: 'risk_threshold',
    parse: int(1, 1_000_000, 100),
  },
  riskHalfLifeMs: {
    key: 'riskHalfLifeMs',
    env: 'VIGIL_RISK_HALF_LIFE_MS',
    file: 'risk_half_life_ms',
    parse: int(60_000, 365 * 86_400_000, 86_400_000),
  },
  logLevel: {
    key: 'logLevel',
    env: 'VIGIL_LOG_LEVEL',
    file: 'log_level',
    parse: (v, name) => {
      const s = text('info')(v, name)!;
      const level = LOG_LEVELS.find((l) => l === s);
      if (!level) throw bad(name, `expected one of ${LOG_LEVELS.join(', ')}`);
      return level;
    },
  },
};

/** True for `localhost`, 127.0.0.0/8 and `::1`. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost') return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  return host === '::1';
}

function readFileSettings(path: string): Record<string, Raw> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw bad('--config', `cannot read ${path}: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw bad('--config', `${path} is not valid YAML: ${(err as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw bad('--config', `${path} must hold a mapping`);
  const known = new Set(Object.values(SETTINGS).map((s) => s.file));
  known.add('tls_cert').add('tls_key');
  for (const k of AUTH_FILE_KEYS) known.add(k);
  for (const k of ML_FILE_KEYS) known.add(k);
  for (const k of Object.keys(doc)) if (!known.has(k)) throw bad(`${path}: ${k}`, 'unknown setting');
  return doc as Record<string, Raw>;
}

/**
 * Builds the configuration.
 * @param flags - command-line flags (highest precedence)
 * @param env - the environment (`process.env` in production, a plain object in tests)
 * @throws VigilError `VIGIL_ERR_CONFIG` naming the first bad setting (flag, variable or file key)
 */
export function loadConfig(
  flags: ConfigFlags = {},
  env: Readonly<Record<string, string | undefined>> = {},
): Config {
  const filePath = flags.config ?? env.VIGIL_CONFIG;
  const file = filePath ? readFileSettings(filePath) : {};
  const out: Record<string, unknown> = {};
  for (const s of Object.values(SETTINGS) as Setting<keyof Config>[]) {
    if (s.key === 'tls' || s.key === 'auth' || s.key === 'ml') continue;
    const flag = s.flag ? flags[s.flag] : undefined;
    const fromFlag = Array.isArray(flag) ? (flag.length > 0 ? flag : undefined) : flag;
    const [value, name] =
      fromFlag !== undefined
        ? [fromFlag as Raw, `--${String(s.flag).replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`]
        : env[s.env] !== undefined
          ? [env[s.env], s.env]
          : [file[s.file], `${filePath}: ${s.file}`];
    out[s.key] = s.parse(value as Raw, name);
  }
  const cert = text(undefined)(env.VIGIL_TLS_CERT ?? file.tls_cert, 'VIGIL_TLS_CERT');
  const key = text(undefined)(env.VIGIL_TLS_KEY ?? file.tls_key, 'VIGIL_TLS_KEY');
  if ((cert === undefined) !== (key === undefined))
    throw bad(cert ? 'VIGIL_TLS_KEY' : 'VIGIL_TLS_CERT', 'HTTPS needs both a certificate and a key');
  out.tls = cert && key ? { cert: resolve(cert), key: resolve(key) } : undefined;
  out.auth = loadAuthConfig(env, file, filePath);
  out.ml = loadMlConfig(env, file, filePath);
  return out as unknown as Config;
}
