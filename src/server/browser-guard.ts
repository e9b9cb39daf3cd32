/**
 * The browser guard of development mode. With no accounts configured Trent verifies no
 * signatures, so anything that can reach its loopback port can use it. A web page cannot reach
 * it directly (its requests carry the page's Origin and the browser keeps the answers from it),
 * but a page whose DNS name is rebound to 127.0.0.1 can: its requests are then same-origin,
 * addressed to `Host: evil.example:PORT`. So, while requests are not signature-verified:
 *
 * - a Host header, when present, must name a loopback address: `localhost` (any case),
 *   127.0.0.0/8 or `[::1]`, with or without a port. A missing Host passes: browsers always send
 *   one, HTTP/1.0 tools may not. A Host that is present but empty or malformed is refused.
 * - any Origin header (`null` included) is refused: browsers send it with every POST and every
 *   cross-origin request; AWS clients (the SDKs, the aws CLI, boto3) never send it.
 *
 * Both refusals are AccessDeniedException (HTTP 400), worded in `messages` (src/errors.ts), and
 * never echo the header's value. In authenticated mode (accounts configured) every request's
 * signature is verified, and the guard is off (`enabled: false`).
 */
import { isIPv4, isIPv6 } from 'node:net';
import { isLoopbackHost } from '../config.js';
import { AccessDeniedException, messages } from '../errors.js';

/** `name` or `[ipv6]`, then an optional `:port`. */
const HOST_HEADER = /^(\[[^\]]*\]|[^:[\]]+)(?::(\d{1,5}))?$/;

/** Whether a Host header value names a loopback address (with an optional port). */
export function isLoopbackHostHeader(value: string): boolean {
  const match = HOST_HEADER.exec(value);
  if (!match?.[1]) return false;
  if (match[2] !== undefined && Number(match[2]) > 65535) return false;
  const name = match[1].toLowerCase();
  if (name.startsWith('[')) {
    const address = name.slice(1, -1);
    return isIPv6(address) && isLoopbackHost(address);
  }
  return (name === 'localhost' || isIPv4(name)) && isLoopbackHost(name);
}

/**
 * Throws AccessDeniedException for a request a web browser could have sent on a page's behalf,
 * while `enabled` (development mode: no accounts, no signature verification).
 */
export function checkBrowserGuard(headers: Readonly<Record<string, string | undefined>>, enabled: boolean): void {
  if (!enabled) return;
  const host = headers['host'];
  if (host !== undefined && !isLoopbackHostHeader(host)) throw new AccessDeniedException(messages.notLoopbackHost);
  if (headers['origin'] !== undefined) throw new AccessDeniedException(messages.browserOrigin);
}
