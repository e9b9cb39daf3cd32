// Runs before `npm start` (plain JavaScript: it runs before anything is built). Builds with tsc
// only when the build is missing or older than the sources it serves from: a file or folder
// under src/, package.json or tsconfig.json changed after the last build. Otherwise it does
// nothing, so a second `npm start` is as quick as running node directly.
//
// "The last build" is the newer of dist/.tsbuildinfo (tsc rewrites it when a build changes
// anything, whoever ran it) and dist/.build-stamp (written here after each build, since tsc
// leaves its files alone when a touched source compiles to the same output).
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import process from 'node:process';
import { fileURLToPath, URL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const at = (path) => join(root, path);

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return undefined;
  }
}

/** The newest change under a folder: its files, and its folders (which change when a file is added or removed). */
function newest(path) {
  let latest = mtime(path) ?? 0;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(child) : (mtime(child) ?? 0));
  }
  return latest;
}

function staleness() {
  if (mtime(at('dist/src/main.js')) === undefined) return 'dist/ has no build';
  const built = Math.max(mtime(at('dist/.tsbuildinfo')) ?? 0, mtime(at('dist/.build-stamp')) ?? 0);
  if (newest(at('src')) > built) return 'src/ changed since the last build';
  for (const file of ['package.json', 'tsconfig.json']) if ((mtime(at(file)) ?? 0) > built) return `${file} changed since the last build`;
  return undefined;
}

const reason = staleness();
if (reason !== undefined) {
  let tsc;
  try {
    tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  } catch {
    process.stderr.write(`trent: ${reason}, and TypeScript is not installed to build it: run npm install\n`);
    process.exit(1);
  }
  process.stderr.write(`trent: ${reason}; building (tsc)\n`);
  const result = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
  if (result.status !== 0) process.exit(result.status ?? 1);
  writeFileSync(at('dist/.build-stamp'), '');
}
