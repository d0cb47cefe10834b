import { GovMigrateError } from '../errors.ts'

/** A connection failure as one line with its fix. */
export function connectionError(error: unknown): GovMigrateError {
  const code = (error as { code?: string }).code
  const message = error instanceof Error ? error.message : String(error)
  if (code === '3D000') {
    return new GovMigrateError(message, 'name an existing database in the URL (`migrate fixture` makes the production stand-in, `migrate clone create` a clone, `migrate demo` both)', { cause: error })
  }
  if (code === 'ECONNREFUSED') {
    return new GovMigrateError(`no PostgreSQL answers there (${message})`, 'start the server, or leave out --url and DATABASE_URL to use the embedded one', { cause: error })
  }
  return new GovMigrateError(`cannot connect: ${message}`, 'check the connection URL, the credentials and that the server is running', { cause: error })
}
