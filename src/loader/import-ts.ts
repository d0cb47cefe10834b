import { createHash, randomUUID } from 'node:crypto'
import { existsSync, readFileSync, statSync } from 'node:fs'
import { mkdir, rename, writeFile } from 'node:fs/promises'
import { dirname, join, relative, resolve, sep } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

/**
 * Imports a TypeScript module (a migration, `kysely.config.ts`) from the compiled CLI.
 *
 * Run from source (under tsx), a plain `import()` does it. Run from the compiled
 * JavaScript in `dist/`, the file is bundled once by esbuild into a cache
 * (`node_modules/.cache/gov-migrate/`), keyed by the bytes of every file it is made
 * of: no TypeScript loader is started, and a cache hit costs one small file read per
 * input. Imports of this package's own `src/` are pointed at `dist/`, so a migration
 * shares its modules (errors, `defineMigration`) with the running CLI.
 */
export async function importTs(file: string): Promise<unknown> {
  const here = fileURLToPath(import.meta.url)
  try {
    if (here.endsWith('.ts')) return await import(pathToFileURL(file).href)
    // Compiled, this code sits somewhere under <package>/dist/ (in a shared chunk, maybe).
    const distDir = here.slice(0, here.lastIndexOf(`${sep}dist${sep}`) + `${sep}dist`.length)
    return await import(pathToFileURL(await compiled(resolve(file), distDir)).href)
  } catch (error) {
    throw new Error(loadErrorLine(error), { cause: error })
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
}

const sha256 = (bytes: string | Buffer) => createHash('sha256').update(bytes).digest('hex')

/** The package root (`dist/..`) and the cache folder inside its node_modules. */
function cacheDir(packageRoot: string): string {
  return join(packageRoot, 'node_modules', '.cache', 'gov-migrate')
}

async function compiled(file: string, distDir: string): Promise<string> {
  const packageRoot = dirname(distDir)
  const dir = cacheDir(packageRoot)
  const key = sha256(`${file}\n${statSync(distDir).mtimeMs}`)
  const out = join(dir, `${key}.mjs`)
  const manifest = join(dir, `${key}.json`)
  if (existsSync(out) && existsSync(manifest) && fresh(JSON.parse(readFileSync(manifest, 'utf8')) as CacheEntry)) return out
  const { build } = await import('esbuild')
  const srcDir = join(packageRoot, 'src')
  const result = await build({
    entryPoints: [file],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    metafile: true,
    logLevel: 'silent',
    outfile: out,
    plugins: [
      {
        name: 'package-src-to-dist',
        setup(b) {
          // kysely too: the migration’s `sql` is the CLI’s own (dist/vendor/kysely.js).
          b.onResolve({ filter: /^kysely$/ }, () => ({ path: pathToFileURL(join(distDir, 'vendor', 'kysely.js')).href, external: true }))
          // This package's own modules come from dist/, the very ones the CLI runs.
          b.onResolve({ filter: /\.ts$/ }, (args) => {
            const target = resolve(args.resolveDir, args.path)
            if (!target.startsWith(srcDir + sep)) return undefined
            const js = join(distDir, relative(srcDir, target)).replace(/\.ts$/, '.js')
            return { path: pathToFileURL(js).href, external: true }
          })
        },
      },
    ],
  })
  const code = result.outputFiles[0]?.text ?? ''
  const inputs: Record<string, string> = {}
  for (const input of Object.keys(result.metafile.inputs)) {
    const path = resolve(input)
    inputs[path] = sha256(readFileSync(path))
  }
  await mkdir(dir, { recursive: true })
  // Written beside and renamed: a concurrent run never reads half a file.
  const partial = `${out}.${randomUUID()}`
  await writeFile(partial, code)
  await rename(partial, out)
  const manifestPartial = `${manifest}.${randomUUID()}`
  await writeFile(manifestPartial, JSON.stringify({ inputs } satisfies CacheEntry))
  await rename(manifestPartial, manifest)
  return out
}

function fresh(entry: CacheEntry): boolean {
  return Object.entries(entry.inputs).every(([path, hash]) => existsSync(path) && sha256(readFileSync(path)) === hash)
}
