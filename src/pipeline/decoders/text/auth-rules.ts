/**
 * Message rule tables for `auth-messages.ts` (data, not code): per program, a literal prefix and
 * an anchored regex whose capture groups fill ECS fields.
 *
 * Message shapes are those OpenSSH (`auth.c`, `sshd.c`, `packet.c`), Linux-PAM `pam_unix`,
 * util-linux/shadow-utils `su`, and shadow-utils `useradd`/`usermod`/`userdel`/`groupadd`/
 * `groupdel` write; checked against Loghub OpenSSH_2k and Linux_2k. Every regex is linear-time
 * safe: no nested quantifiers, and each unbounded group is followed by a literal.
 */
export type Outcome = 'success' | 'failure';

export interface MessageRule {
  /** Literal the message must start with; checked before the regex. */
  readonly prefix: string;
  /** Anchored pattern; its capture groups fill {@link groups}. */
  readonly pattern: RegExp;
  /** Field name per capture group (group 1 first); `null` skips a group. `source.address` is an IP or a host name. */
  readonly groups: readonly (string | null)[];
  readonly action: string;
  readonly outcome?: Outcome;
  readonly constants?: Readonly<Record<string, string>>;
  /** 1-based capture group holding PAM-style `key=value key2=value2` pairs to read as well. */
  readonly pairsGroup?: number;
}

/** Fields stored as numbers. */
export const NUMERIC_FIELDS: ReadonlySet<string> = new Set([
  'source.port',
  'user.id',
  'group.id',
  'syslog.repeat_count',
]);

/** PAM `key=value` names → fields (pam_unix `authentication failure;` lines). */
export const PAM_PAIRS: ReadonlyMap<string, string> = new Map([
  ['rhost', 'source.address'],
  ['user', 'user.name'],
]);

const SSH_FAILED = { 'system.auth.ssh.event': 'Failed' } as const;

/** OpenSSH sshd messages (after an optional `error: ` prefix). */
const SSHD_RULES: readonly MessageRule[] = [
  {
    prefix: 'Failed ',
    pattern: /^Failed (\S+) for (?:invalid user )?(.*) from (\S+) port (\d+)/,
    groups: ['system.auth.ssh.method', 'user.name', 'source.address', 'source.port'],
    action: 'ssh_login',
    outcome: 'failure',
    constants: SSH_FAILED,
  },
  {
    prefix: 'Accepted ',
    pattern: /^Accepted (\S+) for (.*) from (\S+) port (\d+)/,
    groups: ['system.auth.ssh.method', 'user.name', 'source.address', 'source.port'],
    action: 'ssh_login',
    outcome: 'success',
    constants: { 'system.auth.ssh.event': 'Accepted' },
  },
  {
    prefix: 'Invalid user ',
    pattern: /^Invalid user (.*) from (\S+)(?: port (\d+))?/,
    groups: ['user.name', 'source.address', 'source.port'],
    action: 'ssh_invalid_user',
    outcome: 'failure',
    constants: { 'system.auth.ssh.event': 'Invalid' },
  },
  {
    prefix: 'Received disconnect from ',
    pattern: /^Received disconnect from (\S+) port (\d+):\s?\d+: (.*)$/,
    groups: ['source.address', 'source.port', 'event.reason'],
    action: 'ssh_disconnect',
  },
  {
    // OpenSSH < 7.3: no port.
    prefix: 'Received disconnect from ',
    pattern: /^Received disconnect from (\S+): \d+: (.*)$/,
    groups: ['source.address', 'event.reason'],
    action: 'ssh_disconnect',
  },
  {
    prefix: 'Disconnected from ',
    pattern: /^Disconnected from (?:(?:invalid |authenticating )?user (.*) )?(\S+) port (\d+)/,
    groups: ['user.name', 'source.address', 'source.port'],
    action: 'ssh_disconnect',
  },
  {
    prefix: 'Connection closed by ',
    pattern: /^Connection closed by (?:(?:invalid |authenticating )?user (.*) )?(\S+) port (\d+)/,
    groups: ['user.name', 'source.address', 'source.port'],
    action: 'ssh_connection_closed',
  },
  {
    // OpenSSH < 7.3: no port.
    prefix: 'Connection closed by ',
    pattern: /^Connection closed by (\S+)/,
    groups: ['source.address'],
    action: 'ssh_connection_closed',
  },
  {
    prefix: 'reverse mapping checking getaddrinfo for ',
    pattern: /^reverse mapping checking getaddrinfo for (\S+) \[([^\]]+)\] failed/,
    groups: ['source.domain', 'source.address'],
    action: 'ssh_reverse_mapping_failed',
  },
  {
    prefix: 'Did not receive identification string from ',
    pattern: /^Did not receive identification string from (\S+)(?: port (\d+))?/,
    groups: ['source.address', 'source.port'],
    action: 'ssh_no_identification',
  },
  {
    prefix: 'maximum authentication attempts exceeded for ',
    pattern: /^maximum authentication attempts exceeded for (?:invalid user )?(.*) from (\S+) port (\d+)/,
    groups: ['user.name', 'source.address', 'source.port'],
    action: 'ssh_too_many_auth_failures',
    outcome: 'failure',
  },
  {
    prefix: 'Disconnecting: Too many authentication failures',
    pattern: /^Disconnecting: Too many authentication failures(?: for (?:invalid user )?(\S*))?/,
    groups: ['user.name'],
    action: 'ssh_too_many_auth_failures',
    outcome: 'failure',
  },
  {
    prefix: 'PAM ',
    pattern: /^PAM \d+ more authentication failures?; (.*)$/,
    groups: [null],
    action: 'authentication_failure',
    outcome: 'failure',
    pairsGroup: 1,
  },
];

/** Linux-PAM module messages (after the `pam_unix(service:type): ` prefix), any program. */
export const PAM_RULES: readonly MessageRule[] = [
  {
    prefix: 'authentication failure; ',
    pattern: /^authentication failure; (.*)$/,
    groups: [null],
    action: 'authentication_failure',
    outcome: 'failure',
    pairsGroup: 1,
  },
  {
    prefix: 'session opened for user ',
    pattern: /^session opened for user ([^\s(]+)(?:\(uid=(\d+)\))?/,
    groups: ['user.name', 'user.id'],
    action: 'session_opened',
    outcome: 'success',
  },
  {
    prefix: 'session closed for user ',
    pattern: /^session closed for user ([^\s(]+)/,
    groups: ['user.name'],
    action: 'session_closed',
    outcome: 'success',
  },
  {
    prefix: 'password changed for ',
    pattern: /^password changed for (\S+)/,
    groups: ['user.name'],
    action: 'password_changed',
    outcome: 'success',
  },
];

/** su (util-linux and shadow-utils wordings). */
const SU_RULES: readonly MessageRule[] = [
  {
    prefix: 'Successful su for ',
    pattern: /^Successful su for (\S+) by (\S+)/,
    groups: ['user.effective.name', 'user.name'],
    action: 'su',
    outcome: 'success',
  },
  {
    prefix: 'FAILED su for ',
    pattern: /^FAILED su for (\S+) by (\S+)/,
    groups: ['user.effective.name', 'user.name'],
    action: 'su',
    outcome: 'failure',
  },
  {
    prefix: '(to ',
    pattern: /^\(to (\S+)\) (\S+) on /,
    groups: ['user.effective.name', 'user.name'],
    action: 'su',
    outcome: 'success',
  },
  {
    prefix: 'FAILED SU (to ',
    pattern: /^FAILED SU \(to (\S+)\) (\S+) on /,
    groups: ['user.effective.name', 'user.name'],
    action: 'su',
    outcome: 'failure',
  },
  {
    prefix: '+ ',
    pattern: /^\+ \S+ ([^\s:]+):(\S+)$/,
    groups: ['user.name', 'user.effective.name'],
    action: 'su',
    outcome: 'success',
  },
  {
    prefix: '- ',
    pattern: /^- \S+ ([^\s:]+):(\S+)$/,
    groups: ['user.name', 'user.effective.name'],
    action: 'su',
    outcome: 'failure',
  },
];

/** shadow-utils useradd, userdel, usermod, groupadd, groupdel. */
const ACCOUNT_RULES: readonly MessageRule[] = [
  {
    prefix: 'new user: ',
    pattern: /^new user: name=([^,]*), UID=(\d+), GID=(\d+)/,
    groups: ['user.name', 'user.id', 'group.id'],
    action: 'user_created',
    outcome: 'success',
  },
  {
    prefix: 'new group: ',
    pattern: /^new group: name=([^,]*), GID=(\d+)/,
    groups: ['group.name', 'group.id'],
    action: 'group_created',
    outcome: 'success',
  },
  {
    prefix: 'group added to ',
    pattern: /^group added to \S+: name=([^,]*)(?:, GID=(\d+))?/,
    groups: ['group.name', 'group.id'],
    action: 'group_created',
    outcome: 'success',
  },
  {
    prefix: 'delete user ',
    pattern: /^delete user '([^']*)'/,
    groups: ['user.name'],
    action: 'user_deleted',
    outcome: 'success',
  },
  {
    prefix: 'removed group ',
    pattern: /^removed group '([^']*)'/,
    groups: ['group.name'],
    action: 'group_deleted',
    outcome: 'success',
  },
  {
    prefix: 'group ',
    pattern: /^group '([^']*)' removed/,
    groups: ['group.name'],
    action: 'group_deleted',
    outcome: 'success',
  },
  {
    prefix: 'add ',
    pattern: /^add '([^']*)' to (?:shadow )?group '([^']*)'/,
    groups: ['user.name', 'group.name'],
    action: 'group_member_added',
    outcome: 'success',
  },
  {
    prefix: 'change user ',
    pattern: /^change user '([^']*)' password/,
    groups: ['user.name'],
    action: 'password_changed',
    outcome: 'success',
  },
];

/** Program (lower case, suffix removed) → its message rules; sudo is parsed by `parseSudo` in auth-messages.ts. */
export const PROGRAM_RULES: ReadonlyMap<string, readonly MessageRule[]> = new Map([
  ['sshd', SSHD_RULES],
  ['sshd-session', SSHD_RULES],
  ['sshd-auth', SSHD_RULES],
  ['su', SU_RULES],
  ['useradd', ACCOUNT_RULES],
  ['userdel', ACCOUNT_RULES],
  ['usermod', ACCOUNT_RULES],
  ['groupadd', ACCOUNT_RULES],
  ['groupdel', ACCOUNT_RULES],
]);

/** `event.action` → ECS `event.category` and `event.type` (ECS categorization fields). */
export const ACTION_CATEGORIES: Readonly<Record<string, readonly [readonly string[], readonly string[]]>> = {
  ssh_login: [['authentication'], ['info']],
  ssh_invalid_user: [['authentication'], ['info']],
  ssh_too_many_auth_failures: [['authentication'], ['info']],
  authentication_failure: [['authentication'], ['info']],
  ssh_disconnect: [['network'], ['end']],
  ssh_connection_closed: [['network'], ['end']],
  ssh_reverse_mapping_failed: [['network'], ['info']],
  ssh_no_identification: [['network'], ['info']],
  session_opened: [['session'], ['start']],
  session_closed: [['session'], ['end']],
  su: [['authentication'], ['start']],
  sudo_command: [['process'], ['start']],
  user_created: [['iam'], ['user', 'creation']],
  user_deleted: [['iam'], ['user', 'deletion']],
  group_created: [['iam'], ['group', 'creation']],
  group_deleted: [['iam'], ['group', 'deletion']],
  group_member_added: [['iam'], ['group', 'change']],
  password_changed: [['iam'], ['user', 'change']],
};
