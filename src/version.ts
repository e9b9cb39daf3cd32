/** Trent's version, from package.json: cheap to import, so the command line can print it without loading the server. */
import { readFileSync } from 'node:fs';

export const version: string = (
  JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
