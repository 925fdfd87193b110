/**
 * A real OpenID provider for tests: `oidc-provider` 8 (the certified Node implementation; 9 needs
 * Node 22) on 127.0.0.1, issuer `http://127.0.0.1:<port>`, one confidential client, PKCE required,
 * and its built-in development login and consent pages. `browserLogin` walks those pages the way a
 * browser does (cookies, redirects, HTML forms) and stops at the redirect back to the client.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
// @ts-expect-error -- oidc-provider 8 ships no type declarations; used through ProviderClass below.
import Provider from 'oidc-provider';

/** An end user of the test provider; the key of the accounts table is the `sub`. */
export interface TestAccount {
  preferred_username: string;
  email: string;
  groups: string[];
}

export interface TestProviderOptions {
  readonly clientId: string;
  readonly clientSecret: string;
  readonly redirectUris: readonly string[];
  /** sub → account; read at each sign-in, so a test may change it between logins. */
  readonly accounts: Record<string, TestAccount>;
  /**
   * true (default): UserInfo endpoint on, and (as OIDC Core §5.4 says) scope claims such as
   * `groups` are only in the UserInfo response; false: no UserInfo, claims are in the ID token.
   */
  readonly userinfo?: boolean;
}

export interface TestProvider {
  readonly issuer: string;
  readonly port: number;
  stop(): Promise<void>;
}

interface ProviderInstance {
  callback(): (req: import('node:http').IncomingMessage, res: import('node:http').ServerResponse) => void;
}
type ProviderConstructor = new (issuer: string, configuration: Record<string, unknown>) => ProviderInstance;
const ProviderClass: ProviderConstructor = Provider;

/** Constructs the provider without its "development-only" start-up warnings (in-memory store, dev pages). */
function quietly<T>(build: () => T): T {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (!String(args[0]).startsWith('oidc-provider WARNING: a quick start development-only')) warn(...args);
  };
  try {
    return build();
  } finally {
    console.warn = warn;
  }
}

/** Starts the provider on a free port. Scopes: `openid profile email groups`. */
export async function startOidcProvider(options: TestProviderOptions): Promise<TestProvider> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const issuer = `http://127.0.0.1:${port}`;
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: 'test', alg: 'RS256', use: 'sig' };
  const userinfo = options.userinfo ?? true;

  const provider = quietly(
    () =>
      new ProviderClass(issuer, {
        clients: [
          {
            client_id: options.clientId,
            client_secret: options.clientSecret,
            redirect_uris: [...options.redirectUris],
            grant_types: ['authorization_code'],
            response_types: ['code'],
            // openid-client's default for a client with a secret.
            token_endpoint_auth_method: 'client_secret_post',
          },
        ],
        jwks: { keys: [jwk] },
        cookies: { keys: [randomBytes(32).toString('hex')] },
        pkce: { required: () => true, methods: ['S256'] },
        claims: {
          openid: ['sub'],
          profile: ['preferred_username'],
          email: ['email'],
          groups: ['groups'],
        },
        features: { devInteractions: { enabled: true }, userinfo: { enabled: userinfo } },
        ttl: {
          AccessToken: 600,
          AuthorizationCode: 60,
          IdToken: 600,
          Interaction: 600,
          Session: 600,
          Grant: 600,
        },
        findAccount: (_ctx: unknown, sub: string) => {
          if (!Object.hasOwn(options.accounts, sub)) return undefined;
          return { accountId: sub, claims: () => ({ sub, ...options.accounts[sub] }) };
        },
      }),
  );
  server.on('request', provider.callback());
  return {
    issuer,
    port,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

interface Cookie {
  readonly name: string;
  readonly value: string;
  readonly path: string;
}

/** A minimal browser cookie jar for one origin: honours Path, Max-Age and Expires (RFC 6265). */
class CookieJar {
  private readonly cookies = new Map<string, Cookie>();

  store(setCookies: readonly string[], url: URL): void {
    for (const line of setCookies) {
      const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
      const eq = pair.indexOf('=');
      if (eq <= 0) continue;
      const name = pair.slice(0, eq);
      let path = url.pathname.replace(/\/[^/]*$/, '') || '/';
      let expired = false;
      for (const attribute of attributes) {
        const [key = '', value = ''] = attribute.split(/=(.*)/s);
        const lower = key.toLowerCase();
        if (lower === 'path' && value.startsWith('/')) path = value;
        if (lower === 'max-age' && Number(value) <= 0) expired = true;
        if (lower === 'expires' && Date.parse(value) <= Date.now()) expired = true;
      }
      const key = `${name};${path}`;
      if (expired) this.cookies.delete(key);
      else this.cookies.set(key, { name, value: pair.slice(eq + 1), path });
    }
  }

  header(url: URL): string {
    const inPath = (path: string): boolean =>
      url.pathname === path || url.pathname.startsWith(path.endsWith('/') ? path : `${path}/`);
    return [...this.cookies.values()]
      .filter((cookie) => inPath(cookie.path))
      .map((cookie) => `${cookie.name}=${cookie.value}`)
      .join('; ');
  }
}

function decodeEntities(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

function attribute(tag: string, name: string): string | null {
  const match = new RegExp(`\\s${name}="([^"]*)"`, 'i').exec(tag);
  return match ? decodeEntities(match[1]!) : null;
}

/** The first POST form of a page: its absolute action URL and its named inputs with their values. */
function parseForm(html: string, base: URL): { action: URL; fields: Map<string, string> } {
  const form = /<form\b([^>]*)>([\s\S]*?)<\/form>/i.exec(html);
  if (!form || attribute(form[1]!, 'method')?.toLowerCase() !== 'post') {
    throw new Error(`no POST form on ${base.href}: ${html.slice(0, 300)}`);
  }
  const fields = new Map<string, string>();
  for (const [input] of form[2]!.matchAll(/<input\b[^>]*>/gi)) {
    const name = attribute(input, 'name');
    if (name !== null) fields.set(name, attribute(input, 'value') ?? '');
  }
  return { action: new URL(attribute(form[1]!, 'action') ?? base.href, base), fields };
}

/**
 * Signs in at the provider as a browser would: follows redirects with a cookie jar, submits the dev
 * login form (`prompt=login`, any password) as `login` (the account's sub), then the consent form.
 *
 * @param startUrl - the authorization URL from `OidcClient.start()`; its `redirect_uri` ends the walk
 * @returns the redirect to `redirect_uri` (with `code`, `state`, `iss`), not fetched
 * @throws Error on an unexpected response or after 20 steps
 */
export async function browserLogin(startUrl: string, login: string): Promise<URL> {
  const redirect = new URL(new URL(startUrl).searchParams.get('redirect_uri') ?? '');
  const jar = new CookieJar();
  let url = new URL(startUrl);
  let body: URLSearchParams | undefined;
  for (let step = 0; step < 20; step++) {
    if (url.origin === redirect.origin && url.pathname === redirect.pathname) return url;
    const headers: Record<string, string> = { cookie: jar.header(url) };
    if (body) headers['content-type'] = 'application/x-www-form-urlencoded';
    const response = await fetch(url, { method: body ? 'POST' : 'GET', body, headers, redirect: 'manual' });
    jar.store(response.headers.getSetCookie(), url);
    const text = await response.text();
    const location = response.headers.get('location');
    if (response.status >= 300 && response.status < 400 && location !== null) {
      url = new URL(location, url);
      body = undefined;
      continue;
    }
    if (response.status !== 200)
      throw new Error(`${response.status} from ${url.href}: ${text.slice(0, 300)}`);
    const form = parseForm(text, url);
    const prompt = form.fields.get('prompt');
    if (prompt === 'login') {
      form.fields.set('login', login);
      form.fields.set('password', 'any password');
    } else if (prompt !== 'consent') {
      throw new Error(`unexpected form (prompt=${prompt}) on ${url.href}`);
    }
    url = form.action;
    body = new URLSearchParams([...form.fields]);
  }
  throw new Error(`sign-in did not reach ${redirect.href} within 20 steps`);
}
