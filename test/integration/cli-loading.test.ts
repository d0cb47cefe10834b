/**
 * What the compiled CLI loads before a command runs: the static import graph of
 * dist/cli/main.js, which Node loads whole for `--help` and for every command before its action
 * imports what it needs. It must hold the command tree and nothing of a command's work: no
 * configuration validation (zod), no query builder (kysely), no driver (pg). And what every
 * command that reads the configuration loads to validate it: the zod its schema uses, not all of it.
 */
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { before, describe, it } from 'node:test'
import { ensureBuilt, ROOT } from '../helpers.ts'

/** Every file a module imports statically, transitively (relative specifiers; packages by name). */
function staticGraph(entry: string): { files: string[]; packages: Set<string> } {
  const files: string[] = []
  const packages = new Set<string>()
  const pending = [entry]
  while (pending.length > 0) {
    const file = pending.pop() as string
    if (files.includes(file)) continue
    files.push(file)
    const text = readFileSync(file, 'utf8')
    // `import … from"x"` and `import"x"`, not `import("x")` (loaded when a command runs).
    for (const match of text.matchAll(/\bimport\s*(?:[^"'()]*?\bfrom\s*)?["']([^"']+)["']/g)) {
      const specifier = match[1] ?? ''
      if (specifier.startsWith('.')) pending.push(resolve(dirname(file), specifier))
      else packages.add(specifier)
    }
  }
  return { files, packages }
}

describe('what the CLI loads before a command runs', () => {
  before(ensureBuilt)

  it('the command tree only: no zod, no kysely, no pg', () => {
    const { files, packages } = staticGraph(join(ROOT, 'dist', 'cli', 'main.js'))
    // The graph is read (commander, bundled, is in it).
    assert.ok(files.some((file) => /\bCommanderError2?=class\b/.test(readFileSync(file, 'utf8'))), files.join(' '))
    assert.ok(!packages.has('pg') && !packages.has('kysely') && ![...packages].some((p) => p.startsWith('zod')), [...packages].join(' '))
    for (const file of files) {
      const text = readFileSync(file, 'utf8')
      assert.doesNotMatch(text, /\$ZodType\b/, `${file} holds zod`)
      assert.doesNotMatch(text, /\bvar Kysely\b|\bclass Kysely\b/, `${file} holds kysely`)
    }
  })

  it('the configuration is validated with the zod members its schema uses, not all of zod/mini', () => {
    const { files } = staticGraph(join(ROOT, 'dist', 'config', 'load-config.js'))
    const texts = files.map((file) => readFileSync(file, 'utf8'))
    // The graph is read (zod's core is in it), and no member the schemas never use came along:
    // zod/mini's namespace object (its `z`) would bring every one, 253 KB compiled.
    assert.ok(texts.some((text) => /\$ZodType\b/.test(text)), files.join(' '))
    for (const [i, text] of texts.entries()) assert.doesNotMatch(text, /\bZodMiniBase64URL\b|\bZodMiniIPv6\b|\bZodMiniJWT\b/, `${files[i] ?? ''} holds all of zod/mini`)
  })
})
