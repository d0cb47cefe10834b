#!/usr/bin/env node
// The CLI runs as compiled JavaScript (dist/, built by `npm install` through `prepare`, or by
// `npm run build`). When dist/ is missing or older than a file of src/ (a checkout being edited),
// it runs the TypeScript source through tsx instead, so it never runs stale code.
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const built = join(root, 'dist', 'cli', 'main.js')

function fresh() {
  if (!existsSync(built)) return false
  const builtAt = statSync(built).mtimeMs
  for (const entry of readdirSync(join(root, 'src'), { withFileTypes: true, recursive: true })) {
    if (entry.isFile() && statSync(join(entry.parentPath, entry.name)).mtimeMs > builtAt) return false
  }
  return true
}

// Node 21 and later define navigator (userAgent "Node.js/<major>"); Node 20 does not, and pg then
// tells Node from a Cloudflare worker by constructing a fetch Response, which loads Node's whole
// HTTP client (undici) before the first connection: about 15 ms of every command. The CLI's
// process defines what newer Node defines; the programmatic API leaves a user's globals alone.
globalThis.navigator ??= { userAgent: `Node.js/${process.versions.node.split('.')[0]}` }

let main
if (fresh()) {
  ;({ main } = await import(built))
} else {
  const { register } = await import('tsx/esm/api')
  register()
  ;({ main } = await import('../src/cli/main.ts'))
}
process.exitCode = await main(process.argv.slice(2))
