/** Real AWS clients pointed at a Trent server. */
import { KMSClient } from '@aws-sdk/client-kms';

// The SDK warns on every client that its 2027 releases will need Node 22; Trent supports Node 20.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

export function kmsClient(url: string, region = 'us-east-1'): KMSClient {
  return new KMSClient({
    endpoint: url,
    region,
    credentials: { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
    maxAttempts: 1,
  });
}

/** Runs `fn` and returns the AWS error it throws, failing if it does not throw. */
export async function awsError(fn: () => Promise<unknown>): Promise<{ name: string; message: string; status: number | undefined }> {
  try {
    await fn();
  } catch (err) {
    const e = err as { name: string; message: string; $metadata?: { httpStatusCode?: number } };
    return { name: e.name, message: e.message, status: e.$metadata?.httpStatusCode };
  }
  throw new Error('expected an AWS error, but the call succeeded');
}
