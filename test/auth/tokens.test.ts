/**
 * Access-token attacks against a protected route (GET /api/v1/alerts, `alerts:read`): each
 * forged or misused token is refused with 401. Tokens are crafted by hand or signed with jose,
 * either by an attacker's key or by Vigil's own key read from `signing_keys`, so that each
 * refusal differs from an accepted control token by exactly one property (algorithm, key, kid,
 * iss, aud, typ, exp, nbf, claims, retirement). Rotation is checked within one instance and
 * across instances sharing a PostgreSQL database; the ES256 configuration issues working tokens.
 */
import { createPublicKey } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApi } from '../../src/server/app.js';
import type { ServiceContext } from '../../src/service/vigil.js';
import { login, seedAccounts, type TestAccounts, USER_PASSWORD } from '../helpers/auth.js';
import {
  accessClaims,
  activeKey,
  b64url,
  callAs,
  epoch,
  forge,
  jwtPart,
  mainDatabase,
  openContextOn,
  signingKeys,
  type TestDatabase,
  tokenRequest,
  unsecuredJwt,
} from '../helpers/auth-attacks.js';
import { closeTestContext, openTestContext, STORE_KINDS } from '../helpers/service.js';

const PROTECTED = '/api/v1/alerts';

describe.each(STORE_KINDS)('access-token attacks on %s', (kind) => {
  let db: TestDatabase;
  let ctx: ServiceContext;
  let app: FastifyInstance;
  let accounts: TestAccounts;
  let viewer: { id: string; name: string; role: string };

  beforeAll(async () => {
    db = await mainDatabase(kind);
    ctx = await openContextOn(db);
    app = await buildApi(ctx);
    accounts = await seedAccounts(ctx);
    const v = (await ctx.auth.users.byName('viewer'))!;
    viewer = { id: v.id, name: v.name, role: v.role };
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    if (ctx) await closeTestContext(ctx);
    await db?.drop();
  });

  /** Calls the protected route with `Bearer <token>`; @returns status and problem detail */
  async function probe(token: string, url = PROTECTED): Promise<{ status: number; detail: string }> {
    const r = await callAs(app, `Bearer ${token}`, 'GET', url);
    return { status: r.status, detail: String(r.body.detail ?? '') };
  }

  async function expectRefused(token: string, reason?: RegExp): Promise<void> {
    const r = await probe(token);
    expect(r.status, r.detail).toBe(401);
    if (reason) expect(r.detail).toMatch(reason);
  }

  it('controls: a real token and a token forged with the real key and valid claims are accepted', async () => {
    expect((await probe(accounts.viewer.slice(7))).status).toBe(200);
    const key = await activeKey(ctx);
    expect((await probe(await forge(key, accessClaims(ctx, viewer)))).status).toBe(200);
  });

  it('alg none (with an empty or a copied signature, any spelling) is refused', async () => {
    const key = await activeKey(ctx);
    const claims = accessClaims(ctx, viewer);
    const real = accounts.viewer.slice(7);
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      await expectRefused(unsecuredJwt({ alg, typ: 'at+jwt', kid: key.kid }, claims));
      await expectRefused(unsecuredJwt({ alg, typ: 'at+jwt' }, claims));
      await expectRefused(unsecuredJwt({ alg, typ: 'at+jwt', kid: key.kid }, claims, real.split('.')[2]));
    }
    // The real token with its header swapped for alg none.
    const [, payload] = real.split('.');
    await expectRefused(`${b64url({ alg: 'none', typ: 'at+jwt' })}.${payload}.`);
  });

  it('HS256 with the public key as the HMAC secret (algorithm confusion) is refused', async () => {
    const key = await activeKey(ctx);
    const jwks = await callAs(app, undefined, 'GET', '/api/v1/auth/jwks');
    expect(jwks.status).toBe(200);
    const pub = (jwks.body.keys as JWK[]).find((k) => k.kid === key.kid)!;
    expect(pub).toBeDefined();
    const spkiPem = createPublicKey({ key: pub as never, format: 'jwk' })
      .export({ type: 'spki', format: 'pem' })
      .toString();
    const spkiDer = createPublicKey({ key: pub as never, format: 'jwk' }).export({
      type: 'spki',
      format: 'der',
    });
    const secrets: Uint8Array[] = [
      Buffer.from(pub.x!, 'base64url'), // the raw Ed25519 public key
      Buffer.from(JSON.stringify(pub)),
      Buffer.from(spkiPem),
      new Uint8Array(spkiDer),
    ];
    for (const secret of secrets)
      for (const alg of ['HS256', 'HS512'])
        await expectRefused(
          await forge({ privateKey: secret, alg, kid: key.kid }, accessClaims(ctx, viewer)),
          /algorithm/,
        );
  });

  it("a token signed by an attacker's key under the real kid is refused (RS256, EdDSA, embedded jwk, jku)", async () => {
    const key = await activeKey(ctx);
    const claims = accessClaims(ctx, viewer);
    const rsa = await generateKeyPair('RS256', { modulusLength: 2048 });
    await expectRefused(
      await forge({ privateKey: rsa.privateKey, alg: 'RS256', kid: key.kid }, claims),
      /algorithm/,
    );
    const ed = await generateKeyPair('EdDSA', { extractable: true });
    await expectRefused(
      await forge({ privateKey: ed.privateKey, alg: 'EdDSA', kid: key.kid }, claims),
      /signature/,
    );
    const attackerJwk = await exportJWK(ed.publicKey);
    await expectRefused(
      await forge({ privateKey: ed.privateKey, alg: 'EdDSA', kid: key.kid }, claims, { jwk: attackerJwk }),
    );
    await expectRefused(
      await forge({ privateKey: ed.privateKey, alg: 'EdDSA' }, claims, { jwk: attackerJwk }),
      /unknown key/,
    );
    await expectRefused(
      await forge({ privateKey: ed.privateKey, alg: 'EdDSA', kid: key.kid }, claims, {
        jku: 'http://127.0.0.1:1/jwks.json',
      }),
    );
  });

  it('an unknown or missing kid is refused even when signed by the real key', async () => {
    const key = await activeKey(ctx);
    const claims = accessClaims(ctx, viewer);
    await expectRefused(await forge({ ...key, kid: 'no-such-kid' }, claims), /unknown key/);
    await expectRefused(await forge({ ...key, kid: '../../../dev/null' }, claims), /unknown key/);
    await expectRefused(await forge(key, claims, { kid: undefined }), /unknown key/);
  });

  it('a wrong or missing iss or aud is refused', async () => {
    const key = await activeKey(ctx);
    await expectRefused(await forge(key, accessClaims(ctx, viewer, { iss: 'evil' })), /iss/);
    await expectRefused(await forge(key, accessClaims(ctx, viewer, { iss: undefined })), /iss/);
    await expectRefused(await forge(key, accessClaims(ctx, viewer, { aud: 'other-api' })), /aud/);
    await expectRefused(await forge(key, accessClaims(ctx, viewer, { aud: undefined })), /aud/);
    // The MFA audience is not the API's.
    await expectRefused(
      await forge(key, accessClaims(ctx, viewer, { aud: `${ctx.config.auth.jwtAudience}/mfa` })),
      /aud/,
    );
  });

  it('an mfa+jwt (or any other typ) is not an access token, and an access token is not an mfa_token', async () => {
    const mfa = await ctx.auth.tokens.issueMfa(viewer.id);
    expect(jwtPart(mfa, 0).typ).toBe('mfa+jwt');
    await expectRefused(mfa);
    const key = await activeKey(ctx);
    const claims = accessClaims(ctx, viewer);
    await expectRefused(await forge(key, claims, { typ: 'mfa+jwt' }), /typ/);
    await expectRefused(await forge(key, claims, { typ: 'JWT' }), /typ/);
    await expectRefused(await forge(key, claims, { typ: undefined }), /typ/);
    // The other way round: an access token offered as the mfa_token of the MFA step.
    const r = await tokenRequest(app, {
      grant_type: 'urn:vigil:params:oauth:grant-type:mfa-otp',
      mfa_token: accounts.viewer.slice(7),
      otp: '123456',
    });
    expect(r.status).toBe(400);
    expect(r.body.error).toBe('invalid_grant');
  });

  it('expired, not yet valid, or lacking exp/jti/sub/sid/role claims: refused', async () => {
    const key = await activeKey(ctx);
    const now = epoch();
    await expectRefused(
      await forge(key, accessClaims(ctx, viewer, { iat: now - 1000, nbf: now - 1000, exp: now - 60 })),
      /expired/,
    );
    await expectRefused(await forge(key, accessClaims(ctx, viewer, { nbf: now + 120 })), /nbf/);
    for (const missing of ['exp', 'jti', 'sub', 'iat'])
      await expectRefused(
        await forge(key, accessClaims(ctx, viewer, { [missing]: undefined })),
        new RegExp(missing),
      );
    for (const missing of ['sid', 'role', 'name'])
      await expectRefused(
        await forge(key, accessClaims(ctx, viewer, { [missing]: undefined })),
        /sid, role or name/,
      );
  });

  it('a viewer token with its payload edited to role admin is refused (the untouched one gets 403)', async () => {
    const real = accounts.viewer.slice(7);
    expect((await probe(real, '/api/v1/users')).status).toBe(403);
    const [h, p, s] = real.split('.');
    const claims = JSON.parse(Buffer.from(p!, 'base64url').toString('utf8')) as Record<string, unknown>;
    expect(claims.role).toBe('viewer');
    const tampered = `${h}.${b64url({ ...claims, role: 'admin' })}.${s}`;
    const r = await probe(tampered, '/api/v1/users');
    expect(r.status).toBe(401);
    expect(r.detail).toMatch(/signature/);
    // Stripping the signature does not help either.
    expect((await probe(`${h}.${b64url({ ...claims, role: 'admin' })}.`, '/api/v1/users')).status).toBe(401);
  });

  it('the JWK Set publishes public keys only', async () => {
    const jwks = await callAs(app, undefined, 'GET', '/api/v1/auth/jwks');
    const keys = jwks.body.keys as JWK[];
    expect(keys.length).toBeGreaterThan(0);
    for (const k of keys) {
      for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k'])
        expect(k, secret).not.toHaveProperty(secret);
      expect(k.kid).toBeTruthy();
      expect(k.use).toBe('sig');
    }
  });

  it('rotation: tokens issued before keep working; the retired key cannot sign new ones', async () => {
    const before = await login(ctx, 'viewer', USER_PASSWORD);
    const old = await activeKey(ctx);
    const r = await callAs(app, accounts.admin, 'POST', '/api/v1/auth/signing-keys/rotate');
    expect(r.status).toBe(200);
    expect(r.body.retired).toContain(old.kid);
    expect(r.body.kid).not.toBe(old.kid);
    const retired = (await signingKeys(ctx)).find((k) => k.kid === old.kid)!;
    expect(retired.retiredAt).not.toBeNull();
    const retiredAt = epoch(retired.retiredAt!);

    // Issued before the rotation: still valid.
    expect((await probe(before.slice(7))).status).toBe(200);
    // New logins use the new key.
    const after = await login(ctx, 'viewer', USER_PASSWORD);
    expect(jwtPart(after.slice(7), 0).kid).toBe(r.body.kid);
    expect((await probe(after.slice(7))).status).toBe(200);
    // The old key, with iat before its retirement: valid (isolates the check below).
    expect(
      (await probe(await forge(old, accessClaims(ctx, viewer, { iat: retiredAt - 1, nbf: retiredAt - 1 }))))
        .status,
    ).toBe(200);
    // The old key, with iat after its retirement: refused.
    await expectRefused(
      await forge(old, accessClaims(ctx, viewer, { iat: retiredAt + 2, nbf: retiredAt - 1 })),
      /retired/,
    );
    const jwks = await callAs(app, undefined, 'GET', '/api/v1/auth/jwks');
    expect((jwks.body.keys as JWK[]).map((k) => k.kid)).toEqual(
      expect.arrayContaining([old.kid, r.body.kid]),
    );
  });

  it.runIf(kind === 'postgres')(
    'rotation across instances: B (open before) and C (open after) verify tokens of both keys',
    async () => {
      const b = await openContextOn(db);
      const appB = await buildApi(b);
      try {
        const oldToken = await login(ctx, 'viewer', USER_PASSWORD);
        const rotated = await ctx.auth.tokens.rotate();
        const newToken = await login(ctx, 'viewer', USER_PASSWORD);
        expect(jwtPart(newToken.slice(7), 0).kid).toBe(rotated.kid);
        // B learns the new kid from the database on first sight.
        expect((await callAs(appB, newToken, 'GET', PROTECTED)).status).toBe(200);
        expect((await callAs(appB, oldToken, 'GET', PROTECTED)).status).toBe(200);
        const c = await openContextOn(db);
        const appC = await buildApi(c);
        try {
          expect((await callAs(appC, newToken, 'GET', PROTECTED)).status).toBe(200);
          expect((await callAs(appC, oldToken, 'GET', PROTECTED)).status).toBe(200);
          // C did not rotate again at start.
          expect((await activeKey(c)).kid).toBe(rotated.kid);
        } finally {
          await appC.close();
          await closeTestContext(c);
        }
      } finally {
        await appB.close();
        await closeTestContext(b);
      }
    },
    60_000,
  );

  it.runIf(kind === 'postgres')(
    'after a rotation on instance A, tokens that instance B issues later are accepted by A',
    async () => {
      const b = await openContextOn(db);
      const appB = await buildApi(b);
      try {
        await ctx.auth.tokens.rotate();
        // A login a moment later (iat has a resolution of 1 s).
        await new Promise((r) => setTimeout(r, 1100));
        const fromB = await login(b, 'viewer', USER_PASSWORD);
        // B itself accepts what it issued ...
        expect((await callAs(appB, fromB, 'GET', PROTECTED)).status).toBe(200);
        // ... and so must every other instance behind the same load balancer.
        const onA = await callAs(app, fromB, 'GET', PROTECTED);
        expect(onA.status, String(onA.body.detail)).toBe(200);
      } finally {
        await appB.close();
        await closeTestContext(b);
      }
    },
    60_000,
  );
});

describe.each(STORE_KINDS)('VIGIL_JWT_ALG=ES256 on %s', (kind) => {
  let ctx: ServiceContext;
  let app: FastifyInstance;

  beforeAll(async () => {
    ctx = await openTestContext(kind, { VIGIL_JWT_ALG: 'ES256' });
    app = await buildApi(ctx);
  }, 60_000);

  afterAll(async () => {
    await app?.close();
    if (ctx) await closeTestContext(ctx);
  });

  it('issues ES256 tokens (P-256 key in the JWK Set) that verify; EdDSA tokens are refused', async () => {
    const accounts = await seedAccounts(ctx);
    const token = accounts.viewer.slice(7);
    const header = jwtPart(token, 0);
    expect(header.alg).toBe('ES256');
    expect(header.typ).toBe('at+jwt');
    expect((await callAs(app, accounts.viewer, 'GET', PROTECTED)).status).toBe(200);
    const me = await callAs(app, accounts.viewer, 'GET', '/api/v1/auth/me');
    expect(me.body.name).toBe('viewer');
    const jwks = await callAs(app, undefined, 'GET', '/api/v1/auth/jwks');
    const k = (jwks.body.keys as JWK[]).find((x) => x.kid === header.kid)!;
    expect(k).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256' });
    const key = await activeKey(ctx);
    expect(key.alg).toBe('ES256');
    const v = (await ctx.auth.users.byName('viewer'))!;
    const user = { id: v.id, name: v.name, role: v.role };
    expect(
      (await callAs(app, `Bearer ${await forge(key, accessClaims(ctx, user))}`, 'GET', PROTECTED)).status,
    ).toBe(200);
    // Another algorithm under the real kid: refused.
    const ed = await generateKeyPair('EdDSA');
    const r = await callAs(
      app,
      `Bearer ${await forge({ privateKey: ed.privateKey, alg: 'EdDSA', kid: key.kid }, accessClaims(ctx, user))}`,
      'GET',
      PROTECTED,
    );
    expect(r.status).toBe(401);
  });
});
