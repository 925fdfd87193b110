/**
 * Password hashing (argon2id, RFC 9106, through `@node-rs/argon2` with OWASP's parameters:
 * 19 MiB memory, 2 iterations, 1 lane) and the password policy (NIST SP 800-63B §3.1.1.2:
 * length over composition rules, no user name inside, a short blocklist of common choices).
 */
import { hash, verify } from '@node-rs/argon2';
import { ErrorCodes, VigilError } from '../errors.js';

/** Shortest accepted password, characters. */
export const MIN_PASSWORD_LENGTH = 12;
/** Longest accepted password, characters (bounds the hashing work an attacker can ask for). */
export const MAX_PASSWORD_LENGTH = 1024;

const OPTIONS = {
  algorithm: 2 /* Algorithm.Argon2id (a const enum) */,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

const COMMON = new Set([
  'password1234',
  'password12345',
  'password123456',
  '123456789012',
  'qwertyuiopas',
  'administrator',
  'letmein12345',
  'changeme1234',
  'welcome12345',
  'vigilvigilvigil',
]);

/** @returns the argon2id PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`) */
export function hashPassword(password: string): Promise<string> {
  return hash(password, OPTIONS);
}

/** @returns true when `password` matches the PHC string; false for a malformed hash */
export async function verifyPassword(phc: string, password: string): Promise<boolean> {
  try {
    return await verify(phc, password);
  } catch {
    return false;
  }
}

/** A real hash of a random string: checked against when the user does not exist, so a login
 * for an unknown name costs the same time as one for a known name. */
let dummy: Promise<string> | undefined;
export function dummyHash(): Promise<string> {
  dummy ??= hashPassword(`dummy-${Math.random()}`);
  return dummy;
}

/**
 * @throws VigilError `VIGIL_ERR_PASSWORD_POLICY` saying which rule failed
 */
export function checkPasswordPolicy(password: string, userName: string): void {
  const chars = [...password];
  if (chars.length < MIN_PASSWORD_LENGTH)
    throw new VigilError(ErrorCodes.PASSWORD_POLICY, `at least ${MIN_PASSWORD_LENGTH} characters`);
  if (chars.length > MAX_PASSWORD_LENGTH)
    throw new VigilError(ErrorCodes.PASSWORD_POLICY, `at most ${MAX_PASSWORD_LENGTH} characters`);
  if (new Set(chars).size < 5)
    throw new VigilError(ErrorCodes.PASSWORD_POLICY, 'at least 5 different characters');
  const lower = password.toLowerCase();
  if (userName.length >= 3 && lower.includes(userName.toLowerCase()))
    throw new VigilError(ErrorCodes.PASSWORD_POLICY, 'must not contain the user name');
  if (COMMON.has(lower)) throw new VigilError(ErrorCodes.PASSWORD_POLICY, 'too common');
}
