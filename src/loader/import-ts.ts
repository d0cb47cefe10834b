import { createHash, randomUUID } from 'node:crypto'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

/**
 * Imports TypeScript modules (the migrations, `kysely.config.ts`) from the CLI, as one module
 * graph: every module is loaded once per process, whoever imports it.
 *
 * Run from source (under tsx), a plain `import()` of each file does it. Run from the compiled
 * JavaScript in `dist/`, the files are bundled together by esbuild (one build, code splitting)
 * into a cache (`node_modules/.cache/gov-migrate/`), keyed by the bytes of every file they are
 * made of: no TypeScript loader is started, and a cache hit costs one small file read per input.
 * A module two of the files import (T4 importing AX's unit, a helper of the project) becomes one
 * shared chunk, loaded once, as under tsx. Imports of this package's own `src/` are pointed at
 * `dist/`, so the files share every module (errors, `defineMigration`, the statement-origin
 * store) with the running CLI: an error class a migration throws is the CLI's own.
 */
export async function importTs(file: string): Promise<unknown> {
  const [mod] = await importTsAll([file])
  return mod
}

/** `importTs` of several files at once, in order: one graph for all of them. */
export async function importTsAll(files: readonly string[]): Promise<unknown[]> {
  const here = fileURLToPath(import.meta.url)
  let urls: string[]
  try {
    if (here.endsWith('.ts')) urls = files.map((file) => pathToFileURL(file).href)
    else {
      // Compiled, this code sits somewhere under <package>/dist/ (in a shared chunk, maybe).
      const distDir = here.slice(0, here.lastIndexOf(`${sep}dist${sep}`) + `${sep}dist`.length)
      urls = (await compiled(files.map((file) => resolve(file)), distDir)).map((out) => pathToFileURL(out).href)
    }
  } catch (error) {
    // A file that does not compile is named by the error's location, when it is one of them.
    const at = (error as { errors?: EsbuildMessage[] } | null)?.errors?.[0]?.location?.file
    throw new ImportError(files.find((file) => at !== undefined && resolve(at) === file) ?? files[0] ?? '', loadErrorLine(error), error)
  }
  // All at once: the loader reads and compiles the files side by side, not one file's chain of
  // chunks after another's. A file that fails is reported by its place in `files`, the first first.
  const settled = await Promise.allSettled(urls.map((url) => import(url) as Promise<unknown>))
  return settled.map((result, i) => {
    if (result.status === 'fulfilled') return result.value
    throw new ImportError(files[i] ?? '', loadErrorLine(result.reason), result.reason)
  })
}

/** A file of importTsAll that did not load: which one, and the one line that says why. */
export class ImportError extends Error {
  override readonly name = 'ImportError'
  constructor(
    readonly file: string,
    line: string,
    cause: unknown,
  ) {
    super(line, { cause })
  }
}

interface EsbuildMessage {
  text: string
  location: { file: string; line: number; column: number } | null
}

/**
 * One line for a module that does not load, with file and line for a syntax error
 * (esbuild's errors carry them; tsx puts them on the second line of its message).
 */
export function loadErrorLine(error: unknown): string {
  const errors = (error as { errors?: EsbuildMessage[] } | null)?.errors
  const first = Array.isArray(errors) ? errors[0] : undefined
  if (first) return first.location ? `${first.location.file}:${first.location.line}:${first.location.column + 1}: ${first.text}` : first.text
  const text = error instanceof Error ? error.message : String(error)
  const located = /^(.+?):(\d+):(\d+): ERROR: (.+)$/m.exec(text)
  if (located) return `${located[1]}:${located[2]}:${located[3]}: ${located[4]}`
  return text.split('\n')[0] ?? text
}

interface CacheEntry {
  /** Every local input of the bundle with the sha256 of its bytes. */
  inputs: Record<string, string>
  /** The folder (beside the manifest) holding the bundle, and each file's output in it, in order. */
  dir: string
  outputs: string[]
}

const sha256 = (bytes: string | Buffer) => createHash('sha256').update(bytes).digest('hex')

/** The package root (`dist/..`) and the cache folder inside its node_modules. */
function cacheDir(packageRoot: string): string {
  return join(packageRoot, 'node_modules', '.cache', 'gov-migrate')
}

/**
 * Where a relative import of a package module points in dist/, when it names a file of the
 * package's src/ (`…/src/errors.ts`, or as `.js` or without extension, as TypeScript allows).
 */
function distTarget(resolveDir: string, path: string, srcDir: string, distDir: string): string | undefined {
  const target = resolve(resolveDir, path)
  if (!target.startsWith(srcDir + sep)) return undefined
  const source = [target, target.replace(/\.js$/, '.ts'), `${target}.ts`].find((f) => f.endsWith('.ts') && existsSync(f))
  return source ? join(distDir, relative(srcDir, source)).replace(/\.ts$/, '.js') : undefined
}

async function compiled(files: string[], distDir: string): Promise<string[]> {
  const packageRoot = dirname(distDir)
  const dir = cacheDir(packageRoot)
  const key = sha256(`${files.join('\n')}\n${statSync(distDir).mtimeMs}`)
  const manifest = join(dir, `${key}.json`)
  if (existsSync(manifest)) {
    const entry = JSON.parse(readFileSync(manifest, 'utf8')) as Partial<CacheEntry>
    if (entry.dir && entry.outputs && entry.inputs && entry.outputs.length === files.length && fresh(entry as CacheEntry)) {
      const outputs = entry.outputs.map((out) => join(dir, entry.dir ?? '', out))
      if (outputs.every((out) => existsSync(out))) return outputs
    }
  }
  const { build } = await import('esbuild')
  const srcDir = join(packageRoot, 'src')
  // Built in a folder of its own and renamed whole: a concurrent run never reads half a bundle.
  const partial = join(dir, `${key}.${randomUUID()}.partial`)
  const result = await build({
    entryPoints: files,
    bundle: true,
    splitting: true,
    write: false,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    metafile: true,
    logLevel: 'silent',
    outdir: partial,
    outExtension: { '.js': '.mjs' },
    entryNames: '[name]-[hash]',
    chunkNames: 'chunk-[hash]',
    plugins: [
      {
        name: 'package-src-to-dist',
        setup(b) {
          // kysely too: the migration’s `sql` is the CLI’s own (dist/vendor/kysely.js).
          b.onResolve({ filter: /^kysely$/ }, () => ({ path: pathToFileURL(join(distDir, 'vendor', 'kysely.js')).href, external: true }))
          // This package's own modules come from dist/, the very ones the CLI runs.
          b.onResolve({ filter: /^(\.|\/)/ }, (args) => {
            const js = distTarget(args.resolveDir, args.path, srcDir, distDir)
            return js ? { path: pathToFileURL(js).href, external: true } : undefined
          })
        },
      },
    ],
  })
  // Each entry's output, in the order of `files` (esbuild names them; the metafile says which is which).
  const outputOf = new Map<string, string>()
  for (const [out, meta] of Object.entries(result.metafile.outputs)) {
    if (meta.entryPoint) outputOf.set(resolve(meta.entryPoint), relative(partial, resolve(out)))
  }
  const outputs = files.map((file) => {
    const out = outputOf.get(file)
    if (!out) throw new Error(`esbuild wrote no output for ${file}`)
    return out
  })
  const inputs: Record<string, string> = {}
  for (const input of Object.keys(result.metafile.inputs)) {
    const path = resolve(input)
    inputs[path] = sha256(readFileSync(path))
  }
  await mkdir(partial, { recursive: true })
  for (const out of result.outputFiles) await writeFile(out.path, out.text)
  // Named by its content: a folder, once there, never changes (a concurrent run may be loading it).
  const built = `${key}.${sha256(result.outputFiles.map((o) => `${relative(partial, o.path)}\n${o.hash}`).sort().join('\n')).slice(0, 16)}`
  try {
    await rename(partial, join(dir, built))
  } catch (error) {
    // Another run made the same bundle first: use theirs.
    if (!existsSync(join(dir, built))) throw error
    await rm(partial, { recursive: true, force: true })
  }
  const manifestPartial = `${manifest}.${randomUUID()}`
  await writeFile(manifestPartial, JSON.stringify({ inputs, dir: built, outputs } satisfies CacheEntry))
  await rename(manifestPartial, manifest)
  await prune(dir, key).catch(() => undefined)
  return outputs.map((out) => join(dir, built, out))
}

/** A bundle this old whose sources are gone (a test's scratch project) is never loaded again. */
const PRUNE_AFTER_MS = 60 * 60_000

/**
 * Removes, after a build, the bundles of files that no longer exist: every scratch project a test
 * makes leaves one, and nothing else ever removes them. Only bundles an hour old and more, whose
 * inputs are gone (no run can load them: they are stale by definition); each bundle under `key`
 * other than the manifest's current one as well (an older build of the same files).
 */
async function prune(dir: string, key: string): Promise<void> {
  const now = Date.now()
  const current = (JSON.parse(readFileSync(join(dir, `${key}.json`), 'utf8')) as Partial<CacheEntry>).dir
  for (const name of await readdir(dir)) {
    const path = join(dir, name)
    // Gone meanwhile (removed with its manifest above, or by a concurrent run): nothing to do.
    const stat = statSync(path, { throwIfNoEntry: false })
    if (!stat || now - stat.mtimeMs <= PRUNE_AFTER_MS) continue
    if (name.endsWith('.json') && /^[0-9a-f]{64}\.json$/.test(name)) {
      const entry = JSON.parse(readFileSync(path, 'utf8')) as Partial<CacheEntry>
      if (Object.keys(entry.inputs ?? {}).every((input) => existsSync(input))) continue
      await rm(path, { force: true })
      await rm(join(dir, entry.dir ?? `${name.slice(0, -'.json'.length)}.mjs`), { recursive: true, force: true })
    } else if (name.startsWith(`${key}.`) && name !== current && !name.endsWith('.json')) {
      await rm(path, { recursive: true, force: true })
    }
  }
}

function fresh(entry: CacheEntry): boolean {
  return Object.entries(entry.inputs).every(([path, hash]) => existsSync(path) && sha256(readFileSync(path)) === hash)
}
