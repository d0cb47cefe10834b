import { createHash } from 'node:crypto'
import { readFile } from 'node:fs/promises'
import { relative, resolve, sep } from 'node:path'
import { build, type Metafile } from 'esbuild'
import { GovMigrateError } from '../errors.ts'

/** The project files a migration runs: its own file and every module it imports, transitively. */
export interface ModuleClosure {
  /** sha256 of the closure: every `path sha256` line, sorted by path. */
  sha256: string
  /** Project-relative path (forward slashes) → sha256 of that file's bytes. */
  modules: Record<string, string>
}

export function sha256Of(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex')
}

/** The hash of a module map, as kept in the log: one `path sha256` line per module, sorted. */
export function closureHash(modules: Readonly<Record<string, string>>): string {
  return sha256Of(
    Object.keys(modules)
      .sort()
      .map((path) => `${path} ${modules[path] ?? ''}\n`)
      .join(''),
  )
}

/**
 * The import graph of `files`, as esbuild resolves it: relative imports inside the
 * project are followed; packages (node_modules) and node builtins are not; type-only
 * imports (`import type`) are erased, as they are at run time.
 */
async function importGraph(root: string, files: readonly string[]): Promise<Metafile> {
  try {
    const result = await build({
      entryPoints: [...files],
      absWorkingDir: root,
      bundle: true,
      write: false,
      metafile: true,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      outdir: resolve(root, '.module-closure'),
      logLevel: 'silent',
    })
    return result.metafile
  } catch (error) {
    const first = (error as { errors?: { text: string; location?: { file: string; line: number } | null }[] }).errors?.[0]
    const where = first?.location ? ` (${first.location.file}:${first.location.line})` : ''
    throw new GovMigrateError(
      `the migrations' imports do not resolve: ${first?.text ?? (error instanceof Error ? error.message : String(error))}${where}`,
      'fix the import; nothing was run',
      { cause: error },
    )
  }
}

const toKey = (root: string, file: string): string => relative(root, resolve(root, file)).split(sep).join('/')

/**
 * The module closure of each file in `files` (absolute paths), keyed by that path.
 * One esbuild pass resolves the whole graph; every file is read and hashed once.
 */
export async function moduleClosures(root: string, files: readonly string[]): Promise<Map<string, ModuleClosure>> {
  const graph = await importGraph(root, files)
  const imports = new Map<string, string[]>()
  for (const [path, input] of Object.entries(graph.inputs)) {
    imports.set(
      toKey(root, path),
      input.imports.filter((i) => i.external !== true).map((i) => toKey(root, i.path)),
    )
  }
  const hashes = new Map<string, string>()
  const hashOf = async (key: string): Promise<string> => {
    const known = hashes.get(key)
    if (known) return known
    const hash = sha256Of(await readFile(resolve(root, key)))
    hashes.set(key, hash)
    return hash
  }
  const closures = new Map<string, ModuleClosure>()
  for (const file of files) {
    const seen = new Set<string>()
    const queue = [toKey(root, file)]
    for (let key = queue.pop(); key !== undefined; key = queue.pop()) {
      if (seen.has(key)) continue
      seen.add(key)
      queue.push(...(imports.get(key) ?? []))
    }
    const modules: Record<string, string> = {}
    for (const key of [...seen].sort()) modules[key] = await hashOf(key)
    closures.set(file, { sha256: closureHash(modules), modules })
  }
  return closures
}

/**
 * What changed between the closure a migration was applied with and the files now:
 * `src/pipeline/finalization.ts changed`, `… is no longer imported`, `… is now imported`.
 */
export function closureChanges(applied: Readonly<Record<string, string>>, now: Readonly<Record<string, string>>): string[] {
  const changes: string[] = []
  for (const path of [...new Set([...Object.keys(applied), ...Object.keys(now)])].sort()) {
    const before = applied[path]
    const after = now[path]
    if (before === after) continue
    if (before === undefined) changes.push(`${path} is now imported`)
    else if (after === undefined) changes.push(`${path} is no longer imported`)
    else changes.push(`${path} changed`)
  }
  return changes
}
