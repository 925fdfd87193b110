/**
 * Migration `0002_accounts`: roles, users, sessions and refresh tokens, API keys, JWT signing keys,
 * revocations, pending OpenID Connect logins, and the audit log's identities and hash chain
 * (existing entries are chained in id order).
 */
import { type Kysely, type Migration, sql } from 'kysely';
import { auditHash, GENESIS_HASH } from './audit-hash.js';

export const accountsMigration: Migration = {
  async up(db: Kysely<unknown>): Promise<void> {
    await sql`
      CREATE TABLE roles (
        name text PRIMARY KEY,
        description text NOT NULL,
        permissions jsonb NOT NULL,
        builtin boolean NOT NULL,
        updated_at timestamptz NOT NULL
      )`.execute(db);
    await sql`
      CREATE TABLE users (
        id text PRIMARY KEY,
        name text NOT NULL UNIQUE,
        email text,
        role text NOT NULL REFERENCES roles (name),
        password_hash text,
        must_change_password boolean NOT NULL,
        disabled boolean NOT NULL,
        mfa_secret text,
        mfa_enabled boolean NOT NULL,
        mfa_last_step bigint,
        recovery_codes jsonb NOT NULL,
        failed_logins integer NOT NULL,
        locked_until timestamptz,
        oidc_issuer text,
        oidc_subject text,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        last_login_at timestamptz,
        UNIQUE (oidc_issuer, oidc_subject)
      )`.execute(db);
    await sql`
      CREATE TABLE sessions (
        id text PRIMARY KEY,
        user_id text NOT NULL REFERENCES users (id) ON DELETE CASCADE,
        method text NOT NULL,
        source_ip text,
        user_agent text,
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        revoked_at timestamptz,
        revoke_reason text
      )`.execute(db);
    await sql`CREATE INDEX sessions_user ON sessions (user_id)`.execute(db);
    await sql`
      CREATE TABLE refresh_tokens (
        hash text PRIMARY KEY,
        session_id text NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL,
        used_at timestamptz
      )`.execute(db);
    await sql`
      CREATE TABLE api_keys (
        id text PRIMARY KEY,
        name text NOT NULL,
        secret_hash text NOT NULL,
        permissions jsonb NOT NULL,
        created_by text NOT NULL,
        created_at timestamptz NOT NULL,
        expires_at timestamptz,
        last_used_at timestamptz,
        revoked_at timestamptz
      )`.execute(db);
    await sql`
      CREATE TABLE signing_keys (
        kid text PRIMARY KEY,
        alg text NOT NULL,
        private_jwk text NOT NULL,
        public_jwk text NOT NULL,
        created_at timestamptz NOT NULL,
        retired_at timestamptz
      )`.execute(db);
    await sql`
      CREATE TABLE revocations (
        kind text NOT NULL,
        id text NOT NULL,
        expires_at timestamptz NOT NULL,
        PRIMARY KEY (kind, id)
      )`.execute(db);
    await sql`
      CREATE TABLE oidc_logins (
        state text PRIMARY KEY,
        code_verifier text NOT NULL,
        nonce text NOT NULL,
        created_at timestamptz NOT NULL,
        expires_at timestamptz NOT NULL
      )`.execute(db);
    await sql`ALTER TABLE audit_log ADD COLUMN actor_ip text`.execute(db);
    await sql`ALTER TABLE audit_log ADD COLUMN outcome text NOT NULL DEFAULT 'success'`.execute(db);
    await sql`ALTER TABLE audit_log ADD COLUMN before jsonb`.execute(db);
    await sql`ALTER TABLE audit_log ADD COLUMN after jsonb`.execute(db);
    await sql`ALTER TABLE audit_log ADD COLUMN prev_hash text`.execute(db);
    await sql`ALTER TABLE audit_log ADD COLUMN hash text`.execute(db);
    await sql`CREATE INDEX audit_log_at ON audit_log (at, id)`.execute(db);
    const rows = await sql<{
      id: string | number;
      at: Date;
      actor: string;
      action: string;
      target: string;
      details: unknown;
    }>`SELECT id, at, actor, action, target, details FROM audit_log ORDER BY id`.execute(db);
    let prev = GENESIS_HASH;
    for (const r of rows.rows) {
      const id = Number(r.id);
      const hash = auditHash(prev, {
        id,
        at: new Date(r.at).toISOString(),
        actor: r.actor,
        actor_ip: null,
        action: r.action,
        target: r.target,
        outcome: 'success',
        before: null,
        after: null,
        details: typeof r.details === 'string' ? (JSON.parse(r.details) as unknown) : r.details,
      });
      await sql`UPDATE audit_log SET prev_hash = ${prev}, hash = ${hash} WHERE id = ${id}`.execute(db);
      prev = hash;
    }
    await sql`ALTER TABLE audit_log ALTER COLUMN prev_hash SET NOT NULL`.execute(db);
    await sql`ALTER TABLE audit_log ALTER COLUMN hash SET NOT NULL`.execute(db);
    // Append-only: the service never updates or deletes an entry. The trigger stops a mistake or
    // a compromised role without table ownership; an owner can drop it, which the chain reveals.
    await sql`
      CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'audit_log is append-only';
      END $$`.execute(db);
    await sql`
      CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
      FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()`.execute(db);
  },
};
