/**
 * Roles: named sets of permissions, in the `roles` table. The built-in admin, analyst and viewer
 * roles are written at start from `permissions.ts` (code is their source); custom roles are rows
 * created through the API, so adding one needs no release. Cached in memory, reloaded on change.
 */
import type { Kysely } from 'kysely';
import { ErrorCodes, VigilError } from '../errors.js';
import { type Actor, writeAudit } from '../store/audit.js';
import type { DatabaseSchema } from '../store/schema.js';
import { BUILTIN_ROLES, isPermission, type Permission } from './permissions.js';

export interface RoleView {
  readonly name: string;
  readonly description: string;
  readonly permissions: readonly Permission[];
  readonly builtin: boolean;
}

export class RoleStore {
  private roles = new Map<string, RoleView & { readonly set: ReadonlySet<Permission> }>();

  constructor(
    private readonly db: Kysely<DatabaseSchema>,
    private readonly now: () => Date,
  ) {}

  /** Writes the built-in roles and loads all. */
  async init(): Promise<void> {
    const at = this.now();
    for (const [name, r] of Object.entries(BUILTIN_ROLES)) {
      const values = {
        description: r.description,
        permissions: JSON.stringify(r.permissions),
        builtin: true,
        updated_at: at,
      };
      await this.db
        .insertInto('roles')
        .values({ name, ...values })
        .onConflict((oc) => oc.column('name').doUpdateSet(values))
        .execute();
    }
    await this.load();
  }

  async load(): Promise<void> {
    const rows = await this.db.selectFrom('roles').selectAll().orderBy('name').execute();
    const roles = new Map<string, RoleView & { readonly set: ReadonlySet<Permission> }>();
    for (const r of rows) {
      const permissions = r.permissions.filter(isPermission);
      roles.set(r.name, {
        name: r.name,
        description: r.description,
        permissions,
        builtin: r.builtin,
        set: new Set(permissions),
      });
    }
    this.roles = roles;
  }

  /** The role's permissions; empty for an unknown role (a role deleted under a user). */
  permissions(role: string): ReadonlySet<Permission> {
    return this.roles.get(role)?.set ?? new Set();
  }

  has(role: string): boolean {
    return this.roles.has(role);
  }

  list(): RoleView[] {
    return [...this.roles.values()].map(({ set: _set, ...r }) => r);
  }

  /**
   * Creates or replaces a custom role.
   * @throws VigilError `VIGIL_ERR_BAD_REQUEST` for an unknown permission or name,
   *   `VIGIL_ERR_CONFLICT` for a built-in role
   */
  async put(
    name: string,
    description: string,
    permissions: readonly string[],
    actor: Actor,
  ): Promise<RoleView> {
    if (!/^[a-z][a-z0-9_-]{0,63}$/.test(name))
      throw new VigilError(ErrorCodes.BAD_REQUEST, 'role name: lower-case letters, digits, _ and -');
    if (name in BUILTIN_ROLES) throw new VigilError(ErrorCodes.CONFLICT, `role ${name} is built in`);
    const unknown = permissions.filter((p) => !isPermission(p));
    if (unknown.length > 0)
      throw new VigilError(ErrorCodes.BAD_REQUEST, `unknown permission ${unknown.join(', ')}`);
    const at = this.now();
    const before = this.roles.get(name);
    await this.db.transaction().execute(async (tx) => {
      const values = {
        description,
        permissions: JSON.stringify([...new Set(permissions)]),
        builtin: false,
        updated_at: at,
      };
      await tx
        .insertInto('roles')
        .values({ name, ...values })
        .onConflict((oc) => oc.column('name').doUpdateSet(values))
        .execute();
      await writeAudit(
        tx,
        {
          actor,
          action: before ? 'role.update' : 'role.create',
          target: name,
          before: before ? { permissions: before.permissions, description: before.description } : null,
          after: { permissions: [...new Set(permissions)], description },
        },
        at,
      );
    });
    await this.load();
    return this.list().find((r) => r.name === name)!;
  }
}
