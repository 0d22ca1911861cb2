// The fleet file's `secrets:` sections: where the age-encrypted secrets files live (a folder beside
// the fleet file) and the age recipients each file is encrypted to — fleet-wide, per environment
// and per server. Schema pieces for schema.ts and their normalized form for the Fleet; pure.
import { z } from 'zod';

/** Where the encrypted secrets files are and who may read all of them. */
export interface SecretsConfig {
  /** Folder of `{env}.age` and `_all.age`, relative to the fleet file (default `secrets`). */
  dir: string;
  /** Recipients every file is encrypted to (e.g. the team's key). */
  recipients: string[];
}

export const DEFAULT_SECRETS_DIR = 'secrets';

// bech32: "age1" (or a longer human-readable part such as age1pq, age1tag) then data characters.
const AGE_RECIPIENT = /^age1[a-z0-9]*1?[qpzry9x8gf2tvdw0s3jn54khce6mua7l]{10,}$/;

const recipient = z.string().superRefine((v, ctx) => {
  if (AGE_RECIPIENT.test(v)) return;
  ctx.addIssue({
    code: 'custom',
    message: /^ssh-/.test(v)
      ? 'SSH keys are not supported as recipients of the secrets files: give an age public key (age1…, from age-keygen -y KEYFILE)'
      : 'expected an age public key such as age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p',
  });
});
const recipients = z.array(recipient, { invalid_type_error: 'expected a list of age public keys (age1…)' });

/** `secrets:` under an environment or a server: who can read that environment's file (or the files of that server's environments). */
export const recipientsSection = z.object({ recipients: recipients.optional() }).strict();

/** Top-level `secrets:`. */
export const secretsSection = z
  .object({
    dir: z.string().min(1, 'expected a folder path, relative to the fleet file').optional(),
    recipients: recipients.optional(),
  })
  .strict();

export type RawSecretsSection = z.infer<typeof secretsSection>;

export function normalizeSecrets(raw: RawSecretsSection | undefined): SecretsConfig {
  return { dir: raw?.dir ?? DEFAULT_SECRETS_DIR, recipients: [...new Set(raw?.recipients ?? [])] };
}

export function normalizeRecipients(raw: { recipients?: string[] } | undefined): string[] | undefined {
  return raw?.recipients ? [...new Set(raw.recipients)] : undefined;
}
