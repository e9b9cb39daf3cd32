/**
 * CiphertextForRecipient: a CMS (RFC 5652) EnvelopedData that carries a secret to the holder of
 * an attested environment's RSA key, in the exact form AWS KMS returns and AWS's Nitro Enclaves
 * SDK parses (its parser refuses version 0 and issuerAndSerialNumber):
 *
 *   ContentInfo { contentType id-envelopedData (1.2.840.113549.1.7.3),
 *     content [0] EnvelopedData {
 *       version 2,
 *       recipientInfos SET { KeyTransRecipientInfo {
 *         version 2,
 *         rid [0] subjectKeyIdentifier (SHA-256 of the recipient's SubjectPublicKeyInfo, 32 bytes),
 *         keyEncryptionAlgorithm id-RSAES-OAEP { hashFunc sha256, maskGenFunc mgf1(sha256) }
 *           (explicit parameters, RFC 4055; pSourceFunc left at its default),
 *         encryptedKey RSAES-OAEP(content-encryption key) } },
 *       encryptedContentInfo { contentType id-data, aes256-CBC with a fresh 16-byte IV,
 *         encryptedContent [0] AES-256-CBC(PKCS#7 padding) of the secret } } }
 *
 * Trent writes DER (AWS's own answers use BER indefinite lengths; both are valid CMS).
 * `readEnvelopedData` parses either form with pkijs and reports the structure, for tests and for
 * the test kit; it never decrypts.
 */
import { constants, createCipheriv, createHash, createPublicKey, publicEncrypt, randomBytes, type KeyObject } from 'node:crypto';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';

/** An RSA public key a secret is sealed to. */
export type RecipientPublicKey = KeyObject;

export const OID = {
  envelopedData: '1.2.840.113549.1.7.3',
  data: '1.2.840.113549.1.7.1',
  rsaesOaep: '1.2.840.113549.1.1.7',
  mgf1: '1.2.840.113549.1.1.8',
  sha256: '2.16.840.1.101.3.4.2.1',
  aes256Cbc: '2.16.840.1.101.3.4.1.42',
} as const;

function algorithm(oid: string, parameters?: asn1js.AsnType): asn1js.Sequence {
  return new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: oid }), ...(parameters ? [parameters] : [])] });
}

function explicit(tag: number, inner: asn1js.AsnType): asn1js.Constructed {
  return new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: tag }, value: [inner] });
}

/** The subjectKeyIdentifier Trent names a recipient by: SHA-256 of its DER SubjectPublicKeyInfo. */
export function recipientKeyIdentifier(recipient: KeyObject): Buffer {
  return createHash('sha256').update(recipient.export({ type: 'spki', format: 'der' })).digest();
}

/** Encrypts `secret` to `recipient` (an RSA public key) as a DER CMS EnvelopedData. */
export function envelopeFor(recipient: KeyObject, secret: Buffer): Buffer {
  const contentKey = randomBytes(32);
  const iv = randomBytes(16);
  try {
    const cipher = createCipheriv('aes-256-cbc', contentKey, iv);
    const encryptedContent = Buffer.concat([cipher.update(secret), cipher.final()]);
    const encryptedKey = publicEncrypt({ key: recipient, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, contentKey);
    const sha256 = algorithm(OID.sha256, new asn1js.Null());
    const oaepParameters = new asn1js.Sequence({ value: [explicit(0, sha256), explicit(1, algorithm(OID.mgf1, algorithm(OID.sha256, new asn1js.Null())))] });
    const keyTransRecipientInfo = new asn1js.Sequence({
      value: [
        new asn1js.Integer({ value: 2 }),
        new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 0 }, valueHex: recipientKeyIdentifier(recipient) }),
        algorithm(OID.rsaesOaep, oaepParameters),
        new asn1js.OctetString({ valueHex: encryptedKey }),
      ],
    });
    const encryptedContentInfo = new asn1js.Sequence({
      value: [
        new asn1js.ObjectIdentifier({ value: OID.data }),
        algorithm(OID.aes256Cbc, new asn1js.OctetString({ valueHex: iv })),
        new asn1js.Primitive({ idBlock: { tagClass: 3, tagNumber: 0 }, valueHex: encryptedContent }),
      ],
    });
    const envelopedData = new asn1js.Sequence({
      value: [new asn1js.Integer({ value: 2 }), new asn1js.Set({ value: [keyTransRecipientInfo] }), encryptedContentInfo],
    });
    const contentInfo = new asn1js.Sequence({ value: [new asn1js.ObjectIdentifier({ value: OID.envelopedData }), explicit(0, envelopedData)] });
    return Buffer.from(contentInfo.toBER(false));
  } finally {
    contentKey.fill(0);
  }
}

/** What an EnvelopedData says of itself (nothing secret). */
export interface EnvelopedDataFacts {
  contentType: string;
  version: number;
  recipients: {
    version: number;
    /** 'subjectKeyIdentifier' or 'issuerAndSerialNumber'. */
    rid: string;
    subjectKeyIdentifier?: Buffer;
    keyEncryptionAlgorithm: string;
    oaepHash?: string;
    oaepMaskGenerator?: string;
    oaepMaskGeneratorHash?: string;
    encryptedKeyLength: number;
  }[];
  encryptedContentType: string;
  contentEncryptionAlgorithm: string;
  ivLength: number;
  encryptedContentLength: number;
}

function hex(view: ArrayBuffer): Buffer {
  return Buffer.from(new Uint8Array(view));
}

/** Parses a CMS ContentInfo holding an EnvelopedData (DER or BER); throws on anything else. */
export function readEnvelopedData(der: Buffer): EnvelopedDataFacts {
  const parsed = asn1js.fromBER(new Uint8Array(der));
  if (parsed.offset === -1 || parsed.offset !== der.length) throw new Error('not one BER value');
  const contentInfo = new pkijs.ContentInfo({ schema: parsed.result });
  if (contentInfo.contentType !== OID.envelopedData) throw new Error(`content type ${contentInfo.contentType}`);
  const enveloped = new pkijs.EnvelopedData({ schema: contentInfo.content });
  const content = enveloped.encryptedContentInfo;
  const iv = content.contentEncryptionAlgorithm.algorithmParams;
  return {
    contentType: contentInfo.contentType,
    version: enveloped.version,
    recipients: enveloped.recipientInfos.map((info) => {
      if (!(info.value instanceof pkijs.KeyTransRecipientInfo)) throw new Error('not a KeyTransRecipientInfo');
      const trans = info.value;
      const rid = trans.rid;
      const oaep = trans.keyEncryptionAlgorithm.algorithmParams
        ? new pkijs.RSAESOAEPParams({ schema: trans.keyEncryptionAlgorithm.algorithmParams })
        : undefined;
      const maskHash = oaep?.maskGenAlgorithm.algorithmParams ? new pkijs.AlgorithmIdentifier({ schema: oaep.maskGenAlgorithm.algorithmParams }) : undefined;
      return {
        version: trans.version,
        rid: rid instanceof pkijs.IssuerAndSerialNumber ? 'issuerAndSerialNumber' : 'subjectKeyIdentifier',
        ...(!(rid instanceof pkijs.IssuerAndSerialNumber) && { subjectKeyIdentifier: hex((rid as asn1js.OctetString).valueBlock.valueHexView.slice().buffer) }),
        keyEncryptionAlgorithm: trans.keyEncryptionAlgorithm.algorithmId,
        ...(oaep && { oaepHash: oaep.hashAlgorithm.algorithmId, oaepMaskGenerator: oaep.maskGenAlgorithm.algorithmId }),
        ...(maskHash && { oaepMaskGeneratorHash: maskHash.algorithmId }),
        encryptedKeyLength: trans.encryptedKey.valueBlock.valueHexView.length,
      };
    }),
    encryptedContentType: content.contentType,
    contentEncryptionAlgorithm: content.contentEncryptionAlgorithm.algorithmId,
    ivLength: iv instanceof asn1js.OctetString ? iv.valueBlock.valueHexView.length : -1,
    encryptedContentLength: content.encryptedContent ? contentLength(content.encryptedContent) : 0,
  };
}

/** The length of an encrypted content: primitive (DER), or constructed of chunks (BER). */
function contentLength(content: asn1js.BaseBlock): number {
  if (content instanceof asn1js.Constructed) {
    return content.valueBlock.value.reduce((sum, chunk) => sum + contentLength(chunk), 0);
  }
  if (content instanceof asn1js.OctetString && content.valueBlock.isConstructed) {
    return content.valueBlock.value.reduce((sum, chunk) => sum + contentLength(chunk), 0);
  }
  const view = (content as asn1js.Primitive).valueBlock.valueHexView;
  return view.length;
}

/**
 * The RSA public key a recipient's DER SubjectPublicKeyInfo holds, if it is exactly one (no
 * trailing bytes, not RSA-PSS) of 2048 to 4096 bits, as KMS requires of a Recipient.
 */
export function rsaRecipientKey(spki: Buffer): KeyObject | undefined {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
  } catch {
    return undefined;
  }
  if (key.asymmetricKeyType !== 'rsa') return undefined;
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < 2048 || bits > 4096) return undefined;
  if (!key.export({ type: 'spki', format: 'der' }).equals(spki)) return undefined;
  return key;
}
