/**
 * `npm run build` (and `prepare`, which a plain `npm install` runs): src/ → dist/.
 *
 * esbuild bundles every module of src/ as an entry point with code splitting: each keeps
 * its path (dist/cli/main.js, dist/migrator/status.js, …) and the code they share, the
 * pure-JavaScript libraries included, lives once in dist/chunks/. A command then loads a
 * handful of files instead of the hundreds kysely and zod are made of; a migration bundled
 * by src/loader/import-ts.ts shares every module with the running CLI (kysely through
 * dist/vendor/kysely.js). tsc then writes the type declarations (dist/**\/*.d.ts).
 */
import { spawnSync } from 'node:child_process'
import { readdirSync, rmSync } from 'node:fs'
import { join, resolve } from 'node:path'
import { build } from 'esbuild'

const ROOT = resolve(import.meta.dirname, '..')
/** Bundled into dist/chunks/; every other package (pg, umzug, native or self-locating ones) loads from node_modules. */
const BUNDLED = new Set(['kysely', 'zod', 'commander', 'text-table', 'markdown-table', 'bytes-iec', 'empathic', 'diff', 'sql-formatter'])

const entries = readdirSync(join(ROOT, 'src'), { withFileTypes: true, recursive: true })
  .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.d.ts'))
  .map((e) => join(e.parentPath, e.name))

rmSync(join(ROOT, 'dist'), { recursive: true, force: true })
await build({
  entryPoints: entries,
  outbase: join(ROOT, 'src'),
  outdir: join(ROOT, 'dist'),
  chunkNames: 'chunks/[name]-[hash]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: 'warning',
  // Bundled CommonJS (commander) may require Node's own modules.
  banner: { js: "import { createRequire as __gmCreateRequire } from 'node:module'; const require = __gmCreateRequire(import.meta.url);" },
  plugins: [
    {
      // zod's namespace re-exports every locale (60-odd, most of zod's size); the tool reports in
      // English only, so its locale index is the English one (as bundlers drop moment's locales).
      name: 'zod-english-only',
      setup(b) {
        b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) =>
          /[\\/]node_modules[\\/]zod[\\/]/.test(args.importer) ? { path: 'zod-locales-en', namespace: 'zod-locales' } : undefined,
        )
        b.onLoad({ filter: /.*/, namespace: 'zod-locales' }, () => ({
          contents: "export { default as en } from 'zod/v4/locales/en.js'",
          resolveDir: ROOT,
        }))
      },
    },
    {
      name: 'bundle-only-listed-packages',
      setup(b) {
        b.onResolve({ filter: /^[^./]/ }, (args) => {
          if (args.path.startsWith('node:')) return { path: args.path, external: true }
          const name = args.path.startsWith('@') ? args.path.split('/').slice(0, 2).join('/') : (args.path.split('/')[0] ?? args.path)
          return BUNDLED.has(name) ? undefined : { path: args.path, external: true }
        })
      },
    },
  ],
})

const tsc = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(ROOT, 'tsconfig.build.json')], { stdio: 'inherit' })
process.exit(tsc.status ?? 1)
