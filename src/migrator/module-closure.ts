import { createHash, randomUUID } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises'
import { dirname, join, relative, resolve, sep } from 'node:path'
import type { Metafile } from 'esbuild'
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
  const { build } = await import('esbuild')
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
 * The import graph kept between runs (`node_modules/.cache/gov-migrate/closures-*.json`):
 * project-relative path → the project modules it imports, with the sha256 of every module
 * read. It is used again only while every one of those files has the same bytes, so an edit
 * anywhere in the graph runs esbuild again. It is written only when each followed import is
 * spelled as a relative path to a `.ts` file, which resolves to that file whatever else appears
 * in the project; any other spelling is resolved by esbuild on every run.
 */
interface CachedGraph {
  imports: Record<string, string[]>
  hashes: Record<string, string>
}

function graphCacheFile(root: string, keys: readonly string[]): string {
  return join(root, 'node_modules', '.cache', 'gov-migrate', `closures-${sha256Of(`${root}\n${keys.join('\n')}`).slice(0, 32)}.json`)
}

function readHash(file: string): string | undefined {
  try {
    return sha256Of(readFileSync(file))
  } catch {
    return undefined
  }
}

async function readCachedGraph(root: string, file: string): Promise<CachedGraph | undefined> {
  let cached: CachedGraph
  try {
    cached = JSON.parse(readFileSync(file, 'utf8')) as CachedGraph
  } catch {
    return undefined
  }
  if (typeof cached.imports !== 'object' || typeof cached.hashes !== 'object') return undefined
  // Read synchronously: a few dozen small files, each read whole at once, where the promise API
  // would take four trips through the thread pool per file (open, stat, read, close).
  for (const [key, hash] of Object.entries(cached.hashes)) {
    if (readHash(resolve(root, key)) !== hash) return undefined
  }
  return cached
}

/** Import edges only when every followed import names its `.ts` file by a relative path; else undefined. */
function stableImports(root: string, graph: Metafile): Record<string, string[]> | undefined {
  const imports: Record<string, string[]> = {}
  for (const [path, input] of Object.entries(graph.inputs)) {
    const followed = input.imports.filter((i) => i.external !== true)
    for (const i of followed) {
      const spelled = i.original
      if (spelled === undefined || !/^\.\.?\//.test(spelled) || !spelled.endsWith('.ts')) return undefined
      if (resolve(root, dirname(path), spelled) !== resolve(root, i.path)) return undefined
    }
    imports[toKey(root, path)] = followed.map((i) => toKey(root, i.path))
  }
  return imports
}

async function writeCachedGraph(file: string, graph: CachedGraph): Promise<void> {
  try {
    await mkdir(dirname(file), { recursive: true })
    // Written beside and renamed: a concurrent run never reads half a file.
    const partial = `${file}.${randomUUID()}`
    await writeFile(partial, JSON.stringify(graph))
    await rename(partial, file)
  } catch {
    // A read-only project: esbuild resolves the graph on every run instead.
  }
}

/**
 * The module closure of each file in `files` (absolute paths), keyed by that path.
 * One esbuild pass resolves the whole graph (none when the kept graph's files are unchanged);
 * every file is read and hashed once.
 */
export async function moduleClosures(root: string, files: readonly string[]): Promise<Map<string, ModuleClosure>> {
  const cacheFile = graphCacheFile(root, files.map((file) => toKey(root, file)))
  const cached = await readCachedGraph(root, cacheFile)
  const imports = new Map<string, string[]>()
  const hashes = new Map<string, string>(Object.entries(cached?.hashes ?? {}))
  let stable: Record<string, string[]> | undefined
  const builtAt = Date.now()
  if (cached) {
    for (const [key, list] of Object.entries(cached.imports)) imports.set(key, list)
  } else {
    const graph = await importGraph(root, files)
    for (const [path, input] of Object.entries(graph.inputs)) {
      imports.set(
        toKey(root, path),
        input.imports.filter((i) => i.external !== true).map((i) => toKey(root, i.path)),
      )
    }
    stable = stableImports(root, graph)
  }
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
  if (stable) {
    for (const key of Object.keys(stable)) await hashOf(key)
    // Kept only when no file was written since esbuild read it: the edges and the hashes must be of the same bytes.
    const mtimes = await Promise.all(Object.keys(stable).map(async (key) => (await stat(resolve(root, key))).mtimeMs))
    if (mtimes.every((mtime) => mtime < builtAt - 1000)) {
      await writeCachedGraph(cacheFile, { imports: stable, hashes: Object.fromEntries(hashes) })
    }
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
