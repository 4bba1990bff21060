// Request and answer bodies of two-factor sign-in (/api/users/2fa/…) and the login's code fields.
import { RECOVERY_CODE_COUNT } from '../lib/tokens';
import * as z from '../lib/zod';
import { loginBody } from './schemas';

const OTP =
  'The 6-digit code your authenticator app shows now (the previous and next 30-second codes are accepted too); each code works once.';
const RECOVERY = `One of the ${RECOVERY_CODE_COUNT} recovery codes given when two-factor sign-in was turned on; each works once.`;

export const otpField = z
  .string()
  .trim()
  .regex(/^\d{6}$/, 'Enter the 6 digits your authenticator app shows.')
  .openapi({ description: OTP, example: '287082' });

export const recoveryCodeField = z
  .string()
  .trim()
  .min(1)
  .max(40)
  .openapi({ description: RECOVERY, example: 'k3m9q-x2v7d' });

const passwordField = z.string().min(1).max(128).openapi({ description: 'The account password.' });

/** The login body: email and password, plus the second factor once two-factor sign-in is on. */
// A new object over the same fields (not `.extend`, which the document would write as an allOf
// of the base schema of the same name, referring to itself).
export const twoFactorLoginBody = z
  .strictObject({
    ...loginBody.shape,
    otp: otpField
      .optional()
      .openapi({ description: `${OTP} Required once two-factor sign-in is on (else 401 \`otp_required\`).` }),
    recovery_code: recoveryCodeField.optional(),
  })
  .openapi('LoginRequest');

export const setupBody = z.strictObject({ password: passwordField }).openapi('TwoFactorSetupRequest');

export const setupOut = z
  .object({
    secret: z.string().openapi({
      description: 'The shared secret (base32, 20 bytes), for apps where it is typed in.',
      example: 'JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP',
    }),
    otpauth_uri: z.string().openapi({
      description: 'The `otpauth://totp/…` URI authenticator apps read, usually shown as a QR code.',
      example:
        'otpauth://totp/TrainerHub:alex%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=TrainerHub&algorithm=SHA1&digits=6&period=30',
    }),
  })
  .openapi('TwoFactorSetup');

export const codeBody = z.strictObject({ code: otpField }).openapi('TwoFactorCodeRequest');

export const recoveryCodesOut = z
  .object({
    recovery_codes: z.array(z.string()).openapi({
      description: `${RECOVERY_CODE_COUNT} one-time recovery codes, shown only this once (only their SHA-256 is stored); any older set stops working.`,
      example: ['k3m9q-x2v7d', 'p8c4w-7hn2r'],
    }),
  })
  .openapi('TwoFactorRecoveryCodes');

export const deleteAccountBody = z
  .strictObject({ password: passwordField, code: otpField.optional(), recovery_code: recoveryCodeField.optional() })
  .openapi('DeleteAccountRequest', {
    description: 'The password, and with two-factor sign-in on either `code` or `recovery_code`.',
  });

export const disableBody = z
  .strictObject({ password: passwordField, code: otpField.optional(), recovery_code: recoveryCodeField.optional() })
  .openapi('TwoFactorDisableRequest', { description: 'The password and either `code` or `recovery_code`.' });
