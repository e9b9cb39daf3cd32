/**
 * What an operation is and what its handler receives.
 *
 * An operation declares itself: its name (which types its input and output from the generated
 * model), the IAM actions it is authorized as, whether it leaves stored state unchanged, and the
 * resource types it acts on. The registry (index.ts) adds the members the model marks
 * sensitive, so authorization, audit and log redaction all read one declaration.
 *
 * The handler gets the request's context: the verified caller (principal, and the account and
 * region it acts in), the request's grant tokens, and the server's services.
 */
import type { Logger } from 'pino';
import type { Certificate } from '../crypto/certificate-chain.js';
import type { GrantTokenSigner } from '../crypto/grant-token.js';
import type { KeyPairPool } from '../crypto/key-pair-pool.js';
import type { AccessControl, AccessFacts, Caller, KmsAction } from '../domain/access.js';
import type { AttestedRecipient } from '../domain/attestation.js';
import type { Clock } from '../domain/clock.js';
import type { KeyMaterials } from '../domain/key-material.js';
import type { KeyUsageTracker } from '../domain/key-usage.js';
import type { KmsOperations, OperationName } from '../kms-types.generated.js';
import type { GrantRecord, Store } from '../storage/types.js';

export interface ServiceConfig {
  defaultAccount: string;
  defaultRegion: string;
  /** AWS offers SM2 only in China Regions; a self-hosted server may allow it everywhere. */
  allowSm2Everywhere: boolean;
}

export interface Services {
  store: Store;
  materials: KeyMaterials;
  /** The last use of each key (GetKeyLastUsage), written in batches. */
  keyUsage: KeyUsageTracker;
  keyPairs: KeyPairPool;
  /** Issues and verifies grant tokens, under a key derived from the root key. */
  grantTokenSigner: GrantTokenSigner;
  access: AccessControl;
  clock: Clock;
  /** The roots a Recipient's attestation document must chain to (domain/attestation-roots.ts). */
  attestationRoots: readonly Certificate[];
  config: ServiceConfig;
  logger: Logger;
}

/** The resource types IAM's service authorization reference lists for a KMS action. */
export type ResourceType = 'key' | 'alias';

/** What an operation declares of itself besides its name and handler. */
export interface OperationTraits<N extends OperationName> {
  /** True when it changes nothing stored (CloudTrail's readOnly): reads and cryptography. */
  readOnly: boolean;
  /** The resources it acts on; none means an account-level action, authorized on `*`. */
  resources: readonly ResourceType[];
  /**
   * The IAM actions the operation is authorized as: `kms:<name>` unless given. ReEncrypt is
   * two, kms:ReEncryptFrom on the source key and kms:ReEncryptTo on the destination.
   */
  actions?: readonly [KmsAction, ...KmsAction[]];
  /** For account-level actions, the condition values of the request (CreateKey's KeySpec, ...). */
  facts?: (input: KmsOperations[N]['input']) => AccessFacts;
  /**
   * Member paths that must never be logged or audited though the model does not mark them
   * sensitive (CreateGrant's GrantToken); the registry adds the model's own.
   */
  sensitive?: { input?: readonly string[]; output?: readonly string[] };
  /**
   * Operations that take a Recipient (Nitro Enclaves / NitroTPM attestation): the output member
   * that carries the secret, which is then sealed into CiphertextForRecipient instead, and the
   * members AWS omits with a Recipient. The registry checks both against the model.
   */
  recipient?: RecipientOutput;
}

export interface RecipientOutput {
  secret: string;
  omit?: readonly string[];
}

export type Handler<N extends OperationName> = (
  input: KmsOperations[N]['input'],
  ctx: RequestContext,
) => Promise<KmsOperations[N]['output']>;

export interface OperationDeclaration<N extends OperationName> extends OperationTraits<N> {
  /** The AWS operation name, as in `X-Amz-Target: TrentService.<name>`; it types the handler. */
  name: N;
  handle: Handler<N>;
}

/** An operation as the registry holds it: declared, with its model facts. */
export interface Operation {
  name: OperationName;
  actions: readonly [KmsAction, ...KmsAction[]];
  readOnly: boolean;
  resources: readonly ResourceType[];
  /** Member paths the model marks sensitive, never to be logged or audited. */
  sensitive: { input: readonly string[]; output: readonly string[] };
  facts(input: Record<string, unknown>): AccessFacts;
  recipient: RecipientOutput | undefined;
  handle(input: Record<string, unknown>, ctx: RequestContext): Promise<object>;
}

export interface RequestContext extends Caller {
  requestId: string;
  operation: Operation;
  /** The request's GrantTokens: grants they name count for its access decisions at once. */
  grantTokens: readonly string[];
  /** The grants those tokens name, each checked to exist by the pipeline's grantTokens stage. */
  tokenGrants: readonly GrantRecord[];
  /** The request's Recipient, its attestation document verified (the pipeline's attest stage). */
  recipient: AttestedRecipient | undefined;
  services: Services;
}

/** Declares an operation; its handler's input and output types follow from its name. */
export function defineOperation<N extends OperationName>(
  name: N,
  traits: OperationTraits<N>,
  handle: Handler<N>,
): OperationDeclaration<N> {
  return { name, ...traits, handle };
}
