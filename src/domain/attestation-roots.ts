/**
 * The roots an attestation document's chain must lead to. By default the AWS Nitro Enclaves root
 * (AWS_NitroEnclaves_Root-G1: CN=aws.nitro-enclaves, P-384, valid 2019-10-28..2049-10-28), which
 * signs both Nitro Enclaves and NitroTPM documents; it ships here as AWS publishes it
 * (https://aws-nitro-enclaves.amazonaws.com/AWS_NitroEnclaves_Root-G1.zip) and is checked
 * against the SHA-256 fingerprint AWS publishes in the Nitro Enclaves User Guide ("Verifying the
 * root of trust") when loaded. A configured list (`attestationRoots`, PEM files) replaces it.
 */
import { readFileSync } from 'node:fs';
import { fingerprint256, parsePemCertificates, type Certificate } from '../crypto/certificate-chain.js';

export const AWS_NITRO_ROOT_FINGERPRINT = '64:1A:03:21:A3:E2:44:EF:E4:56:46:31:95:D6:06:31:7E:D7:CD:CC:3C:17:56:E0:98:93:F3:C6:8F:79:BB:5B';

export const AWS_NITRO_ROOT_PEM = `-----BEGIN CERTIFICATE-----
MIICETCCAZagAwIBAgIRAPkxdWgbkK/hHUbMtOTn+FYwCgYIKoZIzj0EAwMwSTEL
MAkGA1UEBhMCVVMxDzANBgNVBAoMBkFtYXpvbjEMMAoGA1UECwwDQVdTMRswGQYD
VQQDDBJhd3Mubml0cm8tZW5jbGF2ZXMwHhcNMTkxMDI4MTMyODA1WhcNNDkxMDI4
MTQyODA1WjBJMQswCQYDVQQGEwJVUzEPMA0GA1UECgwGQW1hem9uMQwwCgYDVQQL
DANBV1MxGzAZBgNVBAMMEmF3cy5uaXRyby1lbmNsYXZlczB2MBAGByqGSM49AgEG
BSuBBAAiA2IABPwCVOumCMHzaHDimtqQvkY4MpJzbolL//Zy2YlES1BR5TSksfbb
48C8WBoyt7F2Bw7eEtaaP+ohG2bnUs990d0JX28TcPQXCEPZ3BABIeTPYwEoCWZE
h8l5YoQwTcU/9KNCMEAwDwYDVR0TAQH/BAUwAwEB/zAdBgNVHQ4EFgQUkCW1DdkF
R+eWw5b6cp3PmanfS5YwDgYDVR0PAQH/BAQDAgGGMAoGCCqGSM49BAMDA2kAMGYC
MQCjfy+Rocm9Xue4YnwWmNJVA44fA0P5W2OpYow9OYCVRaEevL8uO1XYru5xtMPW
rfMCMQCi85sWBbJwKKXdS6BptQFuZbT73o/gBh1qUxl/nNr12UO8Yfwr6wPLb+6N
IwLz3/Y=
-----END CERTIFICATE-----
`;

/** The AWS Nitro Enclaves root, refused unless its fingerprint is the one AWS publishes. */
export function awsNitroRoot(): Certificate {
  const [root] = parsePemCertificates(AWS_NITRO_ROOT_PEM);
  if (!root || fingerprint256(root) !== AWS_NITRO_ROOT_FINGERPRINT) {
    throw new Error('the shipped AWS Nitro Enclaves root does not have the fingerprint AWS publishes');
  }
  return root;
}

/**
 * The trusted roots: every certificate in the PEM files `paths`, or AWS's root when no list is
 * configured. Throws with the file's name when one cannot be read or holds no certificate.
 */
export function loadAttestationRoots(paths: readonly string[] | undefined): Certificate[] {
  if (paths === undefined) return [awsNitroRoot()];
  return paths.flatMap((path) => {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new Error(`cannot read attestation root ${path}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`);
    }
    try {
      return parsePemCertificates(text);
    } catch {
      throw new Error(`attestation root ${path} holds no valid PEM certificate`);
    }
  });
}
