/**
 * Second factor: TOTP (RFC 6238: HMAC-SHA-1, 6 digits, 30 s steps, ±1 step of clock drift)
 * through `otpauth`, plus ten single-use recovery codes (80 random bits each, stored as
 * SHA-256). A code's time step is remembered, so the same code is never accepted twice.
 */
import { randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import { sha256 } from './sessions.js';

const PERIOD_S = 30;
const ISSUER = 'Vigil';

/** @returns a new 160-bit secret, base32 (RFC 4648 §6) */
export function newTotpSecret(): string {
  return new Secret({ size: 20 }).base32;
}

function totp(secret: string, account: string): TOTP {
  return new TOTP({
    issuer: ISSUER,
    label: account,
    algorithm: 'SHA1',
    digits: 6,
    period: PERIOD_S,
    secret: Secret.fromBase32(secret),
  });
}

/** The `otpauth://totp/…` URI authenticator apps read (usually as a QR code). */
export function totpUri(secret: string, account: string): string {
  return totp(secret, account).toString();
}

/** The current code (tests and `vigil users` diagnostics). */
export function totpCode(secret: string, at: Date): string {
  return totp(secret, 'x').generate({ timestamp: at.getTime() });
}

/**
 * Checks a code.
 * @param lastStep - the last accepted time step (null = none)
 * @returns the code's time step when valid and newer than `lastStep`, else null
 */
export function checkTotp(secret: string, code: string, at: Date, lastStep: number | null): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const delta = totp(secret, 'x').validate({ token: code, timestamp: at.getTime(), window: 1 });
  if (delta === null) return null;
  const step = Math.floor(at.getTime() / 1000 / PERIOD_S) + delta;
  return lastStep !== null && step <= lastStep ? null : step;
}

/** @returns ten recovery codes (`xxxx-xxxx-xxxx-xxxx`, base32 alphabet) and their SHA-256 */
export function newRecoveryCodes(): { codes: string[]; hashes: string[] } {
  const alphabet = 'abcdefghijkmnpqrstuvwxyz23456789';
  const codes: string[] = [];
  for (let i = 0; i < 10; i++) {
    const bytes = randomBytes(16);
    let s = '';
    for (let j = 0; j < 16; j++) s += alphabet[bytes[j]! % alphabet.length];
    codes.push(s.match(/.{4}/g)!.join('-'));
  }
  return { codes, hashes: codes.map((c) => sha256(c)) };
}

/** Normalizes a typed recovery code (case, spaces, dashes) and hashes it. */
export function recoveryCodeHash(code: string): string {
  const s = code.toLowerCase().replace(/[^a-z0-9]/g, '');
  return sha256(s.match(/.{1,4}/g)?.join('-') ?? '');
}
