/**
 * Vigil's error catalogue: one place for every error code a user or client can meet.
 *
 * Each entry has a stable `code` (match on it, never on message text), a message template with
 * `%s` slots, and the HTTP status the service will answer with. Modelled on Fastify's
 * `lib/errors.js` built with `@fastify/error`.
 */

export interface ErrorDefinition {
  readonly code: string;
  readonly message: string;
  readonly statusCode: number;
}

function define(code: string, message: string, statusCode: number): ErrorDefinition {
  return { code, message, statusCode };
}

/** Every error code Vigil emits, keyed by its short name. */
export const ErrorCodes = {
  RULE_YAML: define('VIGIL_ERR_RULE_YAML', 'YAML syntax error: %s', 400),
  RULE_INVALID: define('VIGIL_ERR_RULE_INVALID', 'invalid rule: %s', 400),
  RULE_MODIFIER: define('VIGIL_ERR_RULE_MODIFIER', 'invalid modifier usage: %s', 400),
  RULE_CONDITION: define('VIGIL_ERR_RULE_CONDITION', 'invalid condition: %s', 400),
  RULE_REGEX: define('VIGIL_ERR_RULE_REGEX', 'invalid regular expression: %s', 400),
  RULE_UNSUPPORTED: define('VIGIL_ERR_RULE_UNSUPPORTED', 'unsupported: %s', 400),
  RULE_PLACEHOLDER: define('VIGIL_ERR_RULE_PLACEHOLDER', 'placeholders not configured: %s', 400),
  RULE_FILTER: define('VIGIL_ERR_RULE_FILTER', 'filter: %s', 400),
  RULE_WARNING: define('VIGIL_ERR_RULE_WARNING', '%s', 200),
  INPUT_LINE: define('VIGIL_ERR_INPUT_LINE', 'malformed input: %s', 400),
  INPUT_UNSUPPORTED: define('VIGIL_ERR_INPUT_UNSUPPORTED', 'unsupported input: %s', 400),
  INPUT_READ: define('VIGIL_ERR_INPUT_READ', 'cannot read input: %s', 500),
  CONFIG: define('VIGIL_ERR_CONFIG', 'invalid setting %s', 500),
  STORE_LOCKED: define(
    'VIGIL_ERR_STORE_LOCKED',
    'data directory %s is in use by process %s (stop the server, or run this through its API)',
    409,
  ),
  NOT_FOUND: define('VIGIL_ERR_NOT_FOUND', '%s not found', 404),
  BAD_REQUEST: define('VIGIL_ERR_BAD_REQUEST', '%s', 400),
  CONFLICT: define('VIGIL_ERR_CONFLICT', '%s', 409),
  UNPROCESSABLE: define('VIGIL_ERR_UNPROCESSABLE', '%s', 422),
  PAYLOAD_TOO_LARGE: define('VIGIL_ERR_PAYLOAD_TOO_LARGE', 'request body larger than %s bytes', 413),
  UNSUPPORTED_MEDIA_TYPE: define('VIGIL_ERR_UNSUPPORTED_MEDIA_TYPE', 'unsupported content type %s', 415),
  BUSY: define('VIGIL_ERR_BUSY', 'ingest queue full (%s events waiting); retry after %s s', 429),
  UNAVAILABLE: define('VIGIL_ERR_UNAVAILABLE', '%s', 503),
  INTERNAL: define('VIGIL_ERR_INTERNAL', 'internal error (request %s)', 500),
  USAGE: define('VIGIL_ERR_USAGE', '%s', 400),
  UNAUTHORIZED: define('VIGIL_ERR_UNAUTHORIZED', '%s', 401),
  FORBIDDEN: define('VIGIL_ERR_FORBIDDEN', '%s', 403),
  PASSWORD_CHANGE_REQUIRED: define(
    'VIGIL_ERR_PASSWORD_CHANGE_REQUIRED',
    'the password must be changed first (POST /api/v1/auth/password)',
    403,
  ),
  PASSWORD_POLICY: define('VIGIL_ERR_PASSWORD_POLICY', 'password refused: %s', 400),
  RATE_LIMITED: define('VIGIL_ERR_RATE_LIMITED', 'rate limit exceeded (%s); retry after %s s', 429),
  OIDC_STATE: define('VIGIL_ERR_OIDC_STATE', 'sign-in response does not match this login: %s', 401),
  OIDC_DENIED: define('VIGIL_ERR_OIDC_DENIED', 'identity provider refused the sign-in: %s', 401),
  OIDC_EXCHANGE: define('VIGIL_ERR_OIDC_EXCHANGE', 'identity provider rejected the code exchange: %s', 401),
  OIDC_RESPONSE: define('VIGIL_ERR_OIDC_RESPONSE', 'invalid response from identity provider: %s', 401),
  LOGIN_LOCKED: define('VIGIL_ERR_LOGIN_LOCKED', 'too many failed logins; retry after %s s', 429),
  INCIDENT_TRANSITION: define('VIGIL_ERR_INCIDENT_TRANSITION', 'incident %s cannot go from %s to %s', 409),
  ATTACK_BUNDLE: define('VIGIL_ERR_ATTACK_BUNDLE', 'not a usable ATT&CK STIX bundle: %s', 422),
  ML_INPUT: define('VIGIL_ERR_ML_INPUT', 'bad model input: %s', 400),
  ML_MODEL: define('VIGIL_ERR_ML_MODEL', 'unusable model: %s', 422),
  ML_NO_DATA: define('VIGIL_ERR_ML_NO_DATA', 'not enough data to train %s: %s', 422),
  ML_UNKNOWN_MODEL: define('VIGIL_ERR_ML_UNKNOWN_MODEL', 'unknown model: %s', 404),
  ML_TRAINING_BUSY: define(
    'VIGIL_ERR_ML_TRAINING_BUSY',
    'a training job is already running for %s (job %s)',
    409,
  ),
} as const;

export type ErrorName = keyof typeof ErrorCodes;

function format(template: string, args: readonly unknown[]): string {
  let i = 0;
  return template.replace(/%s/g, () => String(args[i++] ?? ''));
}

/** Base class of every error Vigil throws on purpose. `code` is stable; `statusCode` is the HTTP status. */
export class VigilError extends Error {
  readonly code: string;
  readonly statusCode: number;
  /** For 429 and 503 answers: the `Retry-After` value, s (default 1). */
  retryAfterSeconds?: number;

  constructor(definition: ErrorDefinition, ...args: unknown[]) {
    super(format(definition.message, args));
    this.name = 'VigilError';
    this.code = definition.code;
    this.statusCode = definition.statusCode;
  }
}

/** Builds the message text of a catalogue entry without throwing (used for diagnostics). */
export function errorMessage(definition: ErrorDefinition, ...args: unknown[]): string {
  return format(definition.message, args);
}
