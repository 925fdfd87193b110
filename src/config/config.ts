/**
 * The service's configuration: one typed, validated object built at start from, in order of
 * precedence, command-line flags > environment > a YAML file > defaults. Nothing else in Vigil
 * reads `process.env`.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ErrorCodes, VigilError } from '../errors.js';

/** The validated configuration of `vigil serve`. */
export interface Config {
  /** HTTP API port (`VIGIL_PORT`, default 8080; 0 = any free port). */
  readonly port: number;
  /** Address the API binds (`VIGIL_HOST`, default 127.0.0.1). Loopback only until accounts exist. */
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
  /** Log level for pino (`VIGIL_LOG_LEVEL`, default info). */
  readonly logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

/** Flags of `vigil serve`, already parsed by the CLI; each overrides its environment variable. */
export interface ConfigFlags {
  readonly port?: string | undefined;
  readonly host?: string | undefined;
  readonly dataDir?: string | undefined;
  readonly rules?: readonly string[] | undefined;
  readonly config?: string | undefined;
}

type Raw = string | number | boolean | readonly string[] | undefined;

interface Setting<K extends keyof Config> {
  readonly key: K;
  readonly env: string;
  /** Key in the YAML file. */
  readonly file: string;
  readonly flag?: keyof ConfigFlags;
  readonly parse: (value: Raw, name: string) => Config[K];
}

function bad(name: string, why: string): VigilError {
  return new VigilError(ErrorCodes.CONFIG, `${name}: ${why}`);
}

function int(min: number, max: number, fallback: number) {
  return (v: Raw, name: string): number => {
    if (v === undefined || v === '') return fallback;
    const n = typeof v === 'number' ? v : Number(String(v).trim());
    if (!Number.isInteger(n) || n < min || n > max)
      throw bad(name, `expected an integer from ${min} to ${max}, got "${String(v)}"`);
    return n;
  };
}

function text(fallback: string | undefined) {
  return (v: Raw, name: string): string | undefined => {
    if (v === undefined || v === '') return fallback;
    if (typeof v !== 'string') throw bad(name, `expected text, got ${JSON.stringify(v)}`);
    return v;
  };
}

function url(protocols: readonly string[]) {
  return (v: Raw, name: string): string | undefined => {
    const s = text(undefined)(v, name);
    if (s === undefined) return undefined;
    let u: URL;
    try {
      u = new URL(s);
    } catch {
      throw bad(name, 'not a URL');
    }
    if (!protocols.includes(u.protocol)) throw bad(name, `expected a ${protocols.join(' or ')} URL`);
    return s;
  };
}

function list(v: Raw, name: string): string[] {
  if (v === undefined || v === '') return [];
  if (typeof v === 'string') return v.split(':').filter((s) => s !== '');
  if (Array.isArray(v) && v.every((s) => typeof s === 'string')) return [...(v as string[])];
  throw bad(name, 'expected a list of directories');
}

function bool(fallback: boolean) {
  return (v: Raw, name: string): boolean => {
    if (v === undefined || v === '') return fallback;
    if (typeof v === 'boolean') return v;
    const s = String(v).toLowerCase();
    if (['1', 'true', 'yes', 'on'].includes(s)) return true;
    if (['0', 'false', 'no', 'off'].includes(s)) return false;
    throw bad(name, `expected true or false, got "${String(v)}"`);
  };
}

function timezone(v: Raw, name: string): string {
  const s = text('UTC')(v, name)!;
  try {
    new Intl.DateTimeFormat('en', { timeZone: s });
  } catch {
    throw bad(name, `unknown time zone "${s}"`);
  }
  return s;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

const SETTINGS: { [K in keyof Config]: Setting<K> } = {
  port: { key: 'port', env: 'VIGIL_PORT', file: 'port', flag: 'port', parse: int(0, 65535, 8080) },
  host: {
    key: 'host',
    env: 'VIGIL_HOST',
    file: 'host',
    flag: 'host',
    parse: (v, name) => {
      const h = text('127.0.0.1')(v, name)!;
      if (!isLoopback(h))
        throw bad(
          name,
          `"${h}" is not a loopback address; until authentication exists Vigil only listens on loopback (put a reverse proxy in front, see docs/service.md)`,
        );
      return h;
    },
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
    if (s.key === 'tls') continue;
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
  return out as unknown as Config;
}
