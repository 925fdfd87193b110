/**
 * Settings of accounts and access (`Config.auth`): the first admin, JWTs, sessions, lockout,
 * rate limits, CORS, the metrics scrape token and OpenID Connect. Read from the environment,
 * else the YAML file's key of the same name in snake_case, else the default.
 */
import { bad, bool, int, type Raw, text, url } from './values.js';

/** JWS algorithms Vigil signs access tokens with (RFC 7518 §3.1, RFC 8037 for EdDSA). */
export const JWT_ALGORITHMS = ['EdDSA', 'ES256', 'ES384', 'PS256', 'RS256'] as const;
export type JwtAlgorithm = (typeof JWT_ALGORITHMS)[number];

export interface OidcConfig {
  /** Issuer URL; its `/.well-known/openid-configuration` is read at start (`VIGIL_OIDC_ISSUER`). */
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string | undefined;
  /** Where the provider sends the browser back: `<public URL>/api/v1/auth/oidc/callback`. */
  readonly redirectUri: string;
  /** Default `openid profile email`. */
  readonly scopes: string;
  /** Claim holding the user's groups or roles, dotted path allowed (default `groups`). */
  readonly roleClaim: string;
  /** Claim value → Vigil role (`VIGIL_OIDC_ROLE_MAP=vigil-admins=admin,soc=analyst`). */
  readonly roleMap: Readonly<Record<string, string>>;
  /** Role of a user whose claim maps to none; undefined = refuse the login. */
  readonly defaultRole: string | undefined;
}

export interface AuthConfig {
  /** Name of the admin created on first start (`VIGIL_ADMIN_USER`, default `admin`). */
  readonly adminUser: string;
  /** Its password (`VIGIL_ADMIN_PASSWORD`); absent = generated and written to the data directory. */
  readonly adminPassword: string | undefined;
  /** `VIGIL_JWT_ALG`, default EdDSA (Ed25519). */
  readonly jwtAlgorithm: JwtAlgorithm;
  /** `iss` and `aud` of access tokens (`VIGIL_JWT_ISSUER` default `vigil`, `VIGIL_JWT_AUDIENCE` default `vigil-api`). */
  readonly jwtIssuer: string;
  readonly jwtAudience: string;
  /** Access token lifetime, s (`VIGIL_ACCESS_TOKEN_TTL`, default 900). */
  readonly accessTokenTtl: number;
  /** Refresh token (session) lifetime, s (`VIGIL_REFRESH_TOKEN_TTL`, default 604,800). */
  readonly refreshTokenTtl: number;
  /** Anyone may `POST /api/v1/auth/register` and gets the viewer role (`VIGIL_OPEN_REGISTRATION`, default false). */
  readonly openRegistration: boolean;
  /** Consecutive failed logins before an account is locked, with doubling back-off (`VIGIL_LOGIN_MAX_FAILURES`, default 5). */
  readonly loginMaxFailures: number;
  /** Failed logins from one IP address per 15 min before it is refused (`VIGIL_LOGIN_IP_MAX_FAILURES`, default 20). */
  readonly loginIpMaxFailures: number;
  /** API requests per minute per user or key (`VIGIL_RATE_LIMIT`, default 100). */
  readonly rateLimit: number;
  /** Token requests per minute per IP address (`VIGIL_LOGIN_RATE_LIMIT`, default 10). */
  readonly loginRateLimit: number;
  /** Ingested events per second per API key, REST and Elasticsearch listener together (`VIGIL_INGEST_RATE_LIMIT`, default 50,000). */
  readonly ingestRateLimit: number;
  /** Origins allowed by CORS (`VIGIL_CORS_ORIGINS`, comma-separated; default none). */
  readonly corsOrigins: readonly string[];
  /** Bearer token that may scrape `/metrics` from a non-loopback address (`VIGIL_METRICS_TOKEN`). */
  readonly metricsToken: string | undefined;
  /** Take the client address from `X-Forwarded-For` (`VIGIL_TRUST_PROXY`, default false). */
  readonly trustProxy: boolean;
  readonly oidc: OidcConfig | undefined;
}

/** YAML keys this module reads (the loader refuses unknown keys). */
export const AUTH_FILE_KEYS = [
  'admin_user',
  'admin_password',
  'jwt_alg',
  'jwt_issuer',
  'jwt_audience',
  'access_token_ttl',
  'refresh_token_ttl',
  'open_registration',
  'login_max_failures',
  'login_ip_max_failures',
  'rate_limit',
  'login_rate_limit',
  'ingest_rate_limit',
  'cors_origins',
  'metrics_token',
  'trust_proxy',
  'oidc_issuer',
  'oidc_client_id',
  'oidc_client_secret',
  'oidc_redirect_uri',
  'oidc_scopes',
  'oidc_role_claim',
  'oidc_role_map',
  'oidc_default_role',
] as const;

type Read = (key: (typeof AUTH_FILE_KEYS)[number]) => [Raw, string];

function roleMap(v: Raw, name: string): Record<string, string> {
  const s = text('')(v, name)!;
  const out: Record<string, string> = {};
  for (const pair of s.split(',').filter((p) => p.trim() !== '')) {
    const i = pair.lastIndexOf('=');
    if (i <= 0 || i === pair.length - 1) throw bad(name, `expected claim=role pairs, got "${pair}"`);
    out[pair.slice(0, i).trim()] = pair.slice(i + 1).trim();
  }
  return out;
}

function oidc(read: Read): OidcConfig | undefined {
  const issuer = url(['https:', 'http:'])(...read('oidc_issuer'));
  if (issuer === undefined) return undefined;
  const clientId = text(undefined)(...read('oidc_client_id'));
  const redirectUri = url(['https:', 'http:'])(...read('oidc_redirect_uri'));
  if (!clientId) throw bad(read('oidc_client_id')[1], 'required with an OpenID Connect issuer');
  if (!redirectUri) throw bad(read('oidc_redirect_uri')[1], 'required with an OpenID Connect issuer');
  return {
    issuer,
    clientId,
    clientSecret: text(undefined)(...read('oidc_client_secret')),
    redirectUri,
    scopes: text('openid profile email')(...read('oidc_scopes'))!,
    roleClaim: text('groups')(...read('oidc_role_claim'))!,
    roleMap: roleMap(...read('oidc_role_map')),
    defaultRole: text(undefined)(...read('oidc_default_role')),
  };
}

/**
 * @param env - the environment
 * @param file - the YAML file's settings
 * @throws VigilError `VIGIL_ERR_CONFIG` naming the bad setting
 */
export function loadAuthConfig(
  env: Readonly<Record<string, string | undefined>>,
  file: Readonly<Record<string, Raw>>,
  filePath: string | undefined,
): AuthConfig {
  const read: Read = (key) => {
    const envName = `VIGIL_${key.toUpperCase()}`;
    if (env[envName] !== undefined) return [env[envName], envName];
    // Name what the user can set: the file's key when there is a file, else the variable.
    return [file[key], filePath !== undefined ? `${filePath}: ${key}` : envName];
  };
  const [alg, algName] = read('jwt_alg');
  const jwtAlgorithm = text('EdDSA')(alg, algName)!;
  if (!(JWT_ALGORITHMS as readonly string[]).includes(jwtAlgorithm))
    throw bad(algName, `expected one of ${JWT_ALGORITHMS.join(', ')}`);
  const adminUser = text('admin')(...read('admin_user'))!;
  if (!/^[A-Za-z0-9._@-]{1,64}$/.test(adminUser))
    throw bad(read('admin_user')[1], 'letters, digits and . _ @ - only, at most 64');
  const origins = text('')(...read('cors_origins'))!;
  return {
    adminUser,
    adminPassword: text(undefined)(...read('admin_password')),
    jwtAlgorithm: jwtAlgorithm as JwtAlgorithm,
    jwtIssuer: text('vigil')(...read('jwt_issuer'))!,
    jwtAudience: text('vigil-api')(...read('jwt_audience'))!,
    accessTokenTtl: int(30, 86_400, 900)(...read('access_token_ttl')),
    refreshTokenTtl: int(300, 90 * 86_400, 7 * 86_400)(...read('refresh_token_ttl')),
    openRegistration: bool(false)(...read('open_registration')),
    loginMaxFailures: int(1, 1000, 5)(...read('login_max_failures')),
    loginIpMaxFailures: int(1, 100_000, 20)(...read('login_ip_max_failures')),
    rateLimit: int(1, 10_000_000, 100)(...read('rate_limit')),
    loginRateLimit: int(1, 1_000_000, 10)(...read('login_rate_limit')),
    ingestRateLimit: int(1, 100_000_000, 50_000)(...read('ingest_rate_limit')),
    corsOrigins: origins
      .split(',')
      .map((o) => o.trim())
      .filter((o) => o !== ''),
    metricsToken: text(undefined)(...read('metrics_token')),
    trustProxy: bool(false)(...read('trust_proxy')),
    oidc: oidc(read),
  };
}
