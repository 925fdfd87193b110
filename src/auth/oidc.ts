/**
 * Single sign-on with any OpenID Connect provider (Keycloak, Entra ID, Okta, Authentik, Dex…):
 * the authorization code flow with PKCE, and the Vigil role read from a claim of the identity.
 *
 * Specs: OpenID Connect Core 1.0 §3.1 (Authorization Code Flow), §5.3 (UserInfo); RFC 7636 (PKCE,
 * method S256); RFC 9207 (`iss` in the authorization response, checked by openid-client).
 * A thin wrapper over openid-client v6; it keeps no state between `start` and `finish`: the caller
 * stores the {@link OidcLoginStart} secrets (e.g. in a short-lived, HttpOnly cookie or a session row).
 */
import { timingSafeEqual } from 'node:crypto';
import * as client from 'openid-client';
import { type ErrorDefinition, ErrorCodes, VigilError } from '../errors.js';

/** How Vigil signs in through one OpenID provider. */
export interface OidcSettings {
  /** Issuer URL, exactly as in the provider's discovery document. https, or http on a loopback host. */
  readonly issuer: string;
  readonly clientId: string;
  /** Confidential client secret, sent with `client_secret_post`; absent for a public client. */
  readonly clientSecret?: string | undefined;
  /** Vigil's callback URL, registered at the provider; without a query string. */
  readonly redirectUri: string;
  /** Space-separated scopes; must include `openid` (e.g. `openid profile email groups`). */
  readonly scopes: string;
  /** Claim holding the groups or roles; a dotted path reaches into objects (`realm_access.roles`). */
  readonly roleClaim: string;
  /** Claim value (group name) → Vigil role name (`admin`, `analyst`, `viewer` or a custom role). */
  readonly roleMap: Readonly<Record<string, string>>;
  /** Role when no claim value maps; null or undefined = refuse such users. */
  readonly defaultRole?: string | null | undefined;
}

/** The redirect to send the browser to, and the secrets to keep until the callback. */
export interface OidcLoginStart {
  /** Authorization request URL (OIDC Core §3.1.2.1) with `code_challenge_method=S256`. */
  readonly url: string;
  readonly state: string;
  /** PKCE `code_verifier` (RFC 7636 §4.1); never leaves the server except to the token endpoint. */
  readonly codeVerifier: string;
  readonly nonce: string;
}

/** The secrets of a login in progress, as returned by {@link OidcClient.start}. */
export type OidcPendingLogin = Pick<OidcLoginStart, 'state' | 'codeVerifier' | 'nonce'>;

/** Who signed in, from the validated ID token merged with the UserInfo response. */
export interface OidcIdentity {
  readonly issuer: string;
  /** `sub`: stable per issuer; (issuer, subject) is the account key, never the name or email. */
  readonly subject: string;
  /** `preferred_username` ?? `email` ?? `sub`. */
  readonly name: string;
  /** `email` as the provider states it (not necessarily verified: see `claims.email_verified`). */
  readonly email: string | null;
  /** Mapped Vigil role; null = no claim value mapped and no default: refuse the sign-in. */
  readonly role: string | null;
  /** All claims: UserInfo claims, overridden by the ID token's. */
  readonly claims: Readonly<Record<string, unknown>>;
}

const BUILT_IN_ORDER = ['admin', 'analyst', 'viewer'];

/**
 * Reads a claim by name, or by dotted path into nested objects (`realm_access.roles`). A claim whose
 * name itself contains dots (`https://vigil.example/roles`, as Auth0 requires) is found by exact name
 * first. @returns the value, or undefined when absent
 */
export function readClaim(claims: Readonly<Record<string, unknown>>, path: string): unknown {
  if (Object.hasOwn(claims, path)) return claims[path];
  let value: unknown = claims;
  for (const segment of path.split('.')) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, segment)) return undefined;
    value = (value as Record<string, unknown>)[segment];
  }
  return value;
}

/**
 * The Vigil role for a role claim value.
 *
 * @param claimValue - a string or an array of strings (other values and elements are ignored)
 * @param roleMap - claim value → Vigil role; only own keys count (`constructor` maps to nothing)
 * @returns the most privileged mapped role: admin > analyst > viewer > custom roles in `roleMap`
 *   order; `defaultRole` when nothing maps (null when that is null or undefined)
 */
export function mapRole(
  claimValue: unknown,
  roleMap: Readonly<Record<string, string>>,
  defaultRole: string | null | undefined,
): string | null {
  const values: unknown[] =
    typeof claimValue === 'string' ? [claimValue] : Array.isArray(claimValue) ? claimValue : [];
  const mapped = new Set<string>();
  for (const value of values) {
    if (typeof value === 'string' && Object.hasOwn(roleMap, value)) mapped.add(roleMap[value]!);
  }
  if (mapped.size === 0) return defaultRole ?? null;
  const order = [...BUILT_IN_ORDER, ...Object.values(roleMap)];
  return [...mapped].sort((a, b) => order.indexOf(a) - order.indexOf(b))[0]!;
}

function oidcError(definition: ErrorDefinition, detail: string, cause?: unknown): VigilError {
  const error = new VigilError(definition, detail);
  if (cause !== undefined) error.cause = cause;
  return error;
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function isLoopback(url: URL): boolean {
  return (
    url.hostname === 'localhost' || url.hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(url.hostname)
  );
}

function parseUrl(name: string, value: string): URL {
  try {
    return new URL(value);
  } catch {
    throw new VigilError(ErrorCodes.CONFIG, `${name}: not a URL: ${value}`);
  }
}

/** Maps an openid-client failure during the code exchange to a Vigil error. */
function exchangeError(error: unknown): VigilError {
  if (error instanceof client.AuthorizationResponseError) {
    return oidcError(ErrorCodes.OIDC_DENIED, error.error_description ?? error.error, error);
  }
  if (error instanceof client.ResponseBodyError || error instanceof client.WWWAuthenticateChallengeError) {
    const detail =
      error instanceof client.ResponseBodyError ? `${error.error}: ${error.error_description}` : '';
    return oidcError(ErrorCodes.OIDC_EXCHANGE, detail || error.message, error);
  }
  if (error instanceof client.ClientError) return oidcError(ErrorCodes.OIDC_RESPONSE, error.message, error);
  const message = error instanceof Error ? error.message : String(error);
  return oidcError(ErrorCodes.UNAVAILABLE, `identity provider unreachable: ${message}`, error);
}

/** One configured OpenID provider. Build with {@link OidcClient.discover}; stateless between calls. */
export class OidcClient {
  private constructor(
    private readonly settings: OidcSettings,
    private readonly config: client.Configuration,
  ) {}

  /**
   * Fetches `<issuer>/.well-known/openid-configuration` (OpenID Connect Discovery 1.0) and checks
   * that its `issuer` equals `settings.issuer`.
   * @throws VigilError VIGIL_ERR_CONFIG for bad settings (http issuer not on loopback, no `openid`
   *   scope, bad URLs); VIGIL_ERR_UNAVAILABLE when discovery fails
   */
  static async discover(settings: OidcSettings): Promise<OidcClient> {
    const issuer = parseUrl('oidc.issuer', settings.issuer);
    parseUrl('oidc.redirectUri', settings.redirectUri);
    const insecure = issuer.protocol === 'http:';
    if (insecure && !isLoopback(issuer)) {
      throw new VigilError(ErrorCodes.CONFIG, 'oidc.issuer: must be https (http only on a loopback host)');
    }
    if (!settings.clientId) throw new VigilError(ErrorCodes.CONFIG, 'oidc.clientId: required');
    if (!settings.scopes.split(/\s+/).includes('openid')) {
      throw new VigilError(ErrorCodes.CONFIG, 'oidc.scopes: must include openid');
    }
    try {
      const config = await client.discovery(
        issuer,
        settings.clientId,
        settings.clientSecret,
        undefined,
        insecure ? { execute: [client.allowInsecureRequests] } : undefined,
      );
      return new OidcClient(settings, config);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      throw oidcError(
        ErrorCodes.UNAVAILABLE,
        `OpenID discovery at ${settings.issuer} failed: ${message}`,
        error,
      );
    }
  }

  /**
   * Begins a login: fresh `state`, `nonce` and PKCE verifier (RFC 7636 §4.1–4.3, S256).
   * @returns the URL to redirect the browser to, and the secrets the caller must keep for `finish`
   */
  async start(): Promise<OidcLoginStart> {
    const codeVerifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(this.config, {
      redirect_uri: this.settings.redirectUri,
      scope: this.settings.scopes,
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce,
    });
    return { url: url.href, state, codeVerifier, nonce };
  }

  /**
   * Completes a login from the callback (OIDC Core §3.1.2.5–§3.1.3.7): checks `state`, exchanges the
   * code with the PKCE verifier, validates the ID token (signature, `iss`, `aud`, `exp`, `nonce`),
   * fetches UserInfo when the provider has that endpoint (§5.3, `sub` must match), and maps the role.
   *
   * @param callbackUrl - the URL the browser was redirected to; only its query is used (the origin
   *   and path are taken from `settings.redirectUri`, so a URL rebuilt behind a proxy works)
   * @param pending - the secrets from {@link OidcClient.start}; use each once
   * @throws VigilError with a code of `ErrorCodes.OIDC_*` (STATE, DENIED, EXCHANGE, RESPONSE), or
   *   VIGIL_ERR_UNAVAILABLE when the provider cannot be reached
   */
  async finish(callbackUrl: URL, pending: OidcPendingLogin): Promise<OidcIdentity> {
    const params = callbackUrl.searchParams;
    const state = params.get('state');
    if (state === null || !sameSecret(state, pending.state)) {
      throw oidcError(ErrorCodes.OIDC_STATE, state === null ? 'no state' : 'state mismatch');
    }
    const error = params.get('error');
    if (error !== null) throw oidcError(ErrorCodes.OIDC_DENIED, params.get('error_description') ?? error);

    const current = new URL(this.settings.redirectUri);
    current.search = callbackUrl.search;
    let idClaims: Record<string, unknown>;
    let userinfo: Record<string, unknown> = {};
    try {
      const tokens = await client.authorizationCodeGrant(this.config, current, {
        pkceCodeVerifier: pending.codeVerifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
      const claims = tokens.claims();
      if (!claims) throw oidcError(ErrorCodes.OIDC_RESPONSE, 'no ID token');
      idClaims = { ...claims };
      if (this.config.serverMetadata().userinfo_endpoint) {
        userinfo = { ...(await client.fetchUserInfo(this.config, tokens.access_token, claims.sub)) };
      }
    } catch (caught) {
      throw caught instanceof VigilError ? caught : exchangeError(caught);
    }

    const claims: Record<string, unknown> = { ...userinfo, ...idClaims };
    const text = (name: string): string | null => {
      const value = claims[name];
      return typeof value === 'string' && value !== '' ? value : null;
    };
    const subject = text('sub')!;
    const email = text('email');
    return {
      issuer: this.config.serverMetadata().issuer,
      subject,
      name: text('preferred_username') ?? email ?? subject,
      email,
      role: mapRole(
        readClaim(claims, this.settings.roleClaim),
        this.settings.roleMap,
        this.settings.defaultRole,
      ),
      claims,
    };
  }
}
