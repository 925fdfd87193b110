/**
 * Users: creation (and the first admin), roles, disabling, passwords and MFA enrolment. Every
 * change is audited with before/after in its transaction; disabling a user, resetting a
 * password or MFA, or changing a role revokes the user's sessions, so the change holds at once.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Kysely, Selectable } from 'kysely';
import { checkPasswordPolicy, hashPassword, verifyPassword } from '../auth/passwords.js';
import { checkTotp, newRecoveryCodes, newTotpSecret, totpUri } from '../auth/mfa.js';
import type { Revocations } from '../auth/revocations.js';
import type { RoleStore } from '../auth/roles.js';
import type { SessionService } from '../auth/sessions.js';
import { ErrorCodes, VigilError } from '../errors.js';
import { type Actor, writeAudit } from '../store/audit.js';
import type { DatabaseSchema, UsersTable } from '../store/schema.js';

export type UserRow = Selectable<UsersTable>;

/** A user as the API shows it (no hashes, no secrets). */
export interface UserView {
  readonly id: string;
  readonly name: string;
  readonly email: string | null;
  readonly role: string;
  readonly disabled: boolean;
  readonly mfa_enabled: boolean;
  readonly must_change_password: boolean;
  /** Signs in through OpenID Connect. */
  readonly sso: boolean;
  readonly created_at: string;
  readonly last_login_at: string | null;
}

export function userView(u: UserRow): UserView {
  return {
    id: u.id,
    name: u.name,
    email: u.email,
    role: u.role,
    disabled: u.disabled,
    mfa_enabled: u.mfa_enabled,
    must_change_password: u.must_change_password,
    sso: u.oidc_subject !== null,
    created_at: u.created_at.toISOString(),
    last_login_at: u.last_login_at?.toISOString() ?? null,
  };
}

const NAME = /^[A-Za-z0-9._@-]{1,64}$/;

export interface NewUser {
  readonly name: string;
  /** Absent for an SSO-only user. */
  readonly password?: string;
  readonly role: string;
  readonly email?: string | null;
  readonly mustChangePassword?: boolean;
  readonly oidc?: { readonly issuer: string; readonly subject: string };
}

/** A generated password: 24 characters from 144 random bits. */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}

export class UserService {
  constructor(
    private readonly db: Kysely<DatabaseSchema>,
    private readonly roles: RoleStore,
    private readonly sessions: SessionService,
    private readonly revocations: Revocations,
    private readonly now: () => Date,
  ) {}

  async byId(id: string): Promise<UserRow | undefined> {
    return this.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
  }

  async byName(name: string): Promise<UserRow | undefined> {
    return this.db.selectFrom('users').selectAll().where('name', '=', name).executeTakeFirst();
  }

  /** @throws VigilError `VIGIL_ERR_NOT_FOUND` */
  async require(idOrName: string): Promise<UserRow> {
    const u = (await this.byId(idOrName)) ?? (await this.byName(idOrName));
    if (!u) throw new VigilError(ErrorCodes.NOT_FOUND, `user ${idOrName}`);
    return u;
  }

  async list(): Promise<UserView[]> {
    const rows = await this.db.selectFrom('users').selectAll().orderBy('name').execute();
    return rows.map(userView);
  }

  async adminCount(): Promise<number> {
    const r = await this.db
      .selectFrom('users')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('role', '=', 'admin')
      .where('disabled', '=', false)
      .executeTakeFirstOrThrow();
    return Number(r.n);
  }

  /**
   * @throws VigilError `VIGIL_ERR_BAD_REQUEST` (name, role), `VIGIL_ERR_PASSWORD_POLICY`,
   *   `VIGIL_ERR_CONFLICT` (name taken)
   */
  async create(input: NewUser, actor: Actor, db: Kysely<DatabaseSchema> = this.db): Promise<UserView> {
    if (input.password !== undefined) checkPasswordPolicy(input.password, input.name);
    return this.createUnchecked(input, actor, db);
  }

  /** `create` without the password policy: the first admin's `VIGIL_ADMIN_PASSWORD`, used as given. */
  async createUnchecked(
    input: NewUser,
    actor: Actor,
    db: Kysely<DatabaseSchema> = this.db,
  ): Promise<UserView> {
    if (!NAME.test(input.name))
      throw new VigilError(ErrorCodes.BAD_REQUEST, 'user name: 1-64 letters, digits, . _ @ -');
    if (!this.roles.has(input.role))
      throw new VigilError(ErrorCodes.BAD_REQUEST, `unknown role ${input.role}`);
    if (await this.byName(input.name)) throw new VigilError(ErrorCodes.CONFLICT, `user ${input.name} exists`);
    const at = this.now();
    const row: UserRow = {
      id: randomUUID(),
      name: input.name,
      email: input.email ?? null,
      role: input.role,
      password_hash: input.password !== undefined ? await hashPassword(input.password) : null,
      must_change_password: input.mustChangePassword ?? false,
      disabled: false,
      mfa_secret: null,
      mfa_enabled: false,
      mfa_last_step: null,
      recovery_codes: [],
      failed_logins: 0,
      locked_until: null,
      oidc_issuer: input.oidc?.issuer ?? null,
      oidc_subject: input.oidc?.subject ?? null,
      created_at: at,
      updated_at: at,
      last_login_at: null,
    };
    const view = userView(row);
    const write = async (tx: Kysely<DatabaseSchema>): Promise<void> => {
      await tx
        .insertInto('users')
        .values({ ...row, recovery_codes: '[]' })
        .execute();
      await writeAudit(tx, { actor, action: 'user.create', target: row.name, after: { ...view } }, at);
    };
    if (db.isTransaction) await write(db);
    else await db.transaction().execute(write);
    return view;
  }

  /** Applies a change to one user and audits it with before/after. */
  private async change(
    user: UserRow,
    set: Partial<Omit<UserRow, 'recovery_codes'>> & { recovery_codes?: string[] },
    action: string,
    actor: Actor,
    details: Record<string, unknown> = {},
  ): Promise<UserRow> {
    const at = this.now();
    const { recovery_codes, ...rest } = set;
    await this.db.transaction().execute(async (tx) => {
      await tx
        .updateTable('users')
        .set({
          ...rest,
          ...(recovery_codes ? { recovery_codes: JSON.stringify(recovery_codes) } : {}),
          updated_at: at,
        })
        .where('id', '=', user.id)
        .execute();
      const after = { ...user, ...set };
      await writeAudit(
        tx,
        {
          actor,
          action,
          target: user.name,
          before: { ...userView(user) },
          after: { ...userView(after) },
          details,
        },
        at,
      );
    });
    return (await this.byId(user.id))!;
  }

  /**
   * Changes role, email or disabled state.
   * @throws VigilError `VIGIL_ERR_BAD_REQUEST` (unknown role), `VIGIL_ERR_CONFLICT` (the last admin)
   */
  async update(
    idOrName: string,
    patch: { role?: string; disabled?: boolean; email?: string | null },
    actor: Actor,
  ): Promise<UserView> {
    const user = await this.require(idOrName);
    if (patch.role !== undefined && !this.roles.has(patch.role))
      throw new VigilError(ErrorCodes.BAD_REQUEST, `unknown role ${patch.role}`);
    const losesAdmin =
      user.role === 'admin' &&
      !user.disabled &&
      ((patch.role !== undefined && patch.role !== 'admin') || patch.disabled === true);
    if (losesAdmin && (await this.adminCount()) <= 1)
      throw new VigilError(ErrorCodes.CONFLICT, 'the last enabled admin cannot be disabled or demoted');
    const updated = await this.change(user, { ...patch }, 'user.update', actor);
    if (patch.disabled === true && !user.disabled) {
      await this.revocations.revoke('user', user.id, new Date(this.now().getTime() + 86_400_000));
      await this.sessions.revokeAll(user.id, 'user disabled');
    } else if (patch.disabled === false && user.disabled) {
      await this.revocations.lift('user', user.id);
    }
    if (patch.role !== undefined && patch.role !== user.role)
      await this.sessions.revokeAll(user.id, 'role changed');
    return userView(updated);
  }

  /** An admin sets a user's password: the user must change it at next login. */
  async resetPassword(idOrName: string, password: string, actor: Actor): Promise<void> {
    const user = await this.require(idOrName);
    checkPasswordPolicy(password, user.name);
    await this.change(
      user,
      {
        password_hash: await hashPassword(password),
        must_change_password: true,
        failed_logins: 0,
        locked_until: null,
      },
      'user.password_reset',
      actor,
    );
    await this.sessions.revokeAll(user.id, 'password reset');
  }

  /**
   * The user changes their own password.
   * @throws VigilError `VIGIL_ERR_UNAUTHORIZED` (wrong current password), `VIGIL_ERR_PASSWORD_POLICY`
   */
  async changePassword(userId: string, current: string, next: string, actor: Actor): Promise<void> {
    const user = await this.require(userId);
    if (!user.password_hash || !(await verifyPassword(user.password_hash, current)))
      throw new VigilError(ErrorCodes.UNAUTHORIZED, 'current password is wrong');
    checkPasswordPolicy(next, user.name);
    if (await verifyPassword(user.password_hash, next))
      throw new VigilError(ErrorCodes.PASSWORD_POLICY, 'must differ from the current password');
    await this.change(
      user,
      { password_hash: await hashPassword(next), must_change_password: false },
      'user.password_change',
      actor,
    );
  }

  /** Starts TOTP enrolment: a new secret, active once confirmed with a code. */
  async enrollMfa(userId: string, actor: Actor): Promise<{ secret: string; otpauth_uri: string }> {
    const user = await this.require(userId);
    if (user.mfa_enabled)
      throw new VigilError(ErrorCodes.CONFLICT, 'MFA is already enabled; disable it first');
    const secret = newTotpSecret();
    await this.change(user, { mfa_secret: secret, mfa_last_step: null }, 'user.mfa_enroll', actor);
    return { secret, otpauth_uri: totpUri(secret, user.name) };
  }

  /**
   * Confirms enrolment with a current code.
   * @returns the recovery codes (shown once)
   * @throws VigilError `VIGIL_ERR_BAD_REQUEST` (no enrolment, wrong code)
   */
  async activateMfa(userId: string, code: string, actor: Actor): Promise<string[]> {
    const user = await this.require(userId);
    if (!user.mfa_secret || user.mfa_enabled)
      throw new VigilError(
        ErrorCodes.BAD_REQUEST,
        'no MFA enrolment pending (POST /api/v1/auth/mfa/enroll first)',
      );
    const step = checkTotp(user.mfa_secret, code, this.now(), null);
    if (step === null)
      throw new VigilError(ErrorCodes.BAD_REQUEST, 'the code does not match; check the device clock');
    const { codes, hashes } = newRecoveryCodes();
    await this.change(
      user,
      { mfa_enabled: true, mfa_last_step: step, recovery_codes: hashes },
      'user.mfa_enable',
      actor,
    );
    return codes;
  }

  /** Turns MFA off: by the user (password required) or by an admin (`password` undefined). */
  async disableMfa(idOrName: string, password: string | undefined, actor: Actor): Promise<void> {
    const user = await this.require(idOrName);
    if (
      password !== undefined &&
      (!user.password_hash || !(await verifyPassword(user.password_hash, password)))
    )
      throw new VigilError(ErrorCodes.UNAUTHORIZED, 'password is wrong');
    await this.change(
      user,
      { mfa_enabled: false, mfa_secret: null, mfa_last_step: null, recovery_codes: [] },
      password === undefined ? 'user.mfa_reset' : 'user.mfa_disable',
      actor,
    );
    if (password === undefined) await this.sessions.revokeAll(user.id, 'MFA reset');
  }
}
