/**
 * kysely as the compiled CLI holds it: a migration loaded by src/loader/import-ts.ts imports
 * `kysely` from here, so its `sql` and the CLI's `Kysely` are one copy of the library.
 */
export * from 'kysely'
