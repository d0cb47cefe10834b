#!/usr/bin/env node
// Migrations and kysely.config.ts are TypeScript: run through tsx's loader.
import { register } from 'tsx/esm/api'

register()
const { main } = await import('../src/cli/main.ts')
process.exitCode = await main(process.argv.slice(2))
