/**
 * Syslog tables (data, not code): facility and severity names, and the program → Sigma service
 * routing for `product: linux` syslog lines.
 *
 * Sources:
 * - RFC 5424 §6.2.1, Table 1 (facility codes) and Table 2 (severity codes); the keyword names are
 *   those of glibc `<syslog.h>` / rsyslog (`authpriv`, `local0`…);
 * - Sigma specification v2.1, `sigma-appendix-taxonomy.md`, "Linux Folder" (services `auth`,
 *   `clamav`, `cron`, `guacamole`, `sshd`, `sudo`, `syslog`, `vsftpd`), and SigmaHQ
 *   `tests/logsource.json` (`linux.service`).
 */

/** Facility code (0-23) → keyword, RFC 5424 Table 1. */
export const FACILITY_NAMES: readonly string[] = [
  'kern',
  'user',
  'mail',
  'daemon',
  'auth',
  'syslog',
  'lpr',
  'news',
  'uucp',
  'cron',
  'authpriv',
  'ftp',
  'ntp',
  'security',
  'console',
  'solaris-cron',
  'local0',
  'local1',
  'local2',
  'local3',
  'local4',
  'local5',
  'local6',
  'local7',
];

/** Severity code (0-7) → name, RFC 5424 Table 2 (ECS `log.syslog.severity.name` style). */
export const SEVERITY_NAMES: readonly string[] = [
  'Emergency',
  'Alert',
  'Critical',
  'Error',
  'Warning',
  'Notice',
  'Informational',
  'Debug',
];

/** Facilities whose lines are authentication logs (`auth` = 4, `authpriv` = 10): Sigma `service: auth`. */
export const AUTH_FACILITIES: ReadonlySet<number> = new Set([4, 10]);

/**
 * Program (syslog TAG / APP-NAME, lower-cased, `(pam_unix)`-style suffix removed) → Sigma services
 * besides `syslog`, which every line gets.
 *
 * `auth` goes to the programs whose messages Debian/Ubuntu and RHEL route to auth.log / secure
 * (facility auth or authpriv): login, privilege change, account and password management, PAM
 * helpers, session managers. `CRON` is not an auth program: only its PAM session lines reach
 * auth.log, and those are caught by the PAM rule (a message starting with `pam_`, or a tag with a
 * `(pam_…)` suffix, is an auth line whatever the program; libpam logs to LOG_AUTHPRIV).
 * OpenSSH 9.8+ logs as `sshd-session` and `sshd-auth`: both are `sshd`.
 */
export const PROGRAM_SERVICES: ReadonlyMap<string, readonly string[]> = new Map<string, readonly string[]>([
  ['sshd', ['sshd', 'auth']],
  ['sshd-session', ['sshd', 'auth']],
  ['sshd-auth', ['sshd', 'auth']],
  ['sudo', ['sudo', 'auth']],
  ['su', ['auth']],
  ['login', ['auth']],
  ['passwd', ['auth']],
  ['useradd', ['auth']],
  ['userdel', ['auth']],
  ['usermod', ['auth']],
  ['groupadd', ['auth']],
  ['groupdel', ['auth']],
  ['groupmod', ['auth']],
  ['chpasswd', ['auth']],
  ['chage', ['auth']],
  ['chsh', ['auth']],
  ['chfn', ['auth']],
  ['gpasswd', ['auth']],
  ['newgrp', ['auth']],
  ['pkexec', ['auth']],
  ['polkitd', ['auth']],
  ['systemd-logind', ['auth']],
  ['unix_chkpwd', ['auth']],
  ['gdm-password', ['auth']],
  ['gdm-session-worker', ['auth']],
  ['lightdm', ['auth']],
  ['sddm', ['auth']],
  ['cron', ['cron']],
  ['crond', ['cron']],
  ['anacron', ['cron']],
  // crontab(1) logs edits (`(root) REPLACE (root)`, `BEGIN EDIT`) under its own name.
  ['crontab', ['cron']],
  ['vsftpd', ['vsftpd']],
  ['clamd', ['clamav']],
  ['freshclam', ['clamav']],
  ['clamav-milter', ['clamav']],
  ['clamscan', ['clamav']],
  ['guacd', ['guacamole']],
]);

/** Program name prefixes that are auth programs (PAM helpers log as `pam_…`). */
export const AUTH_PROGRAM_PREFIXES: readonly string[] = ['pam'];
