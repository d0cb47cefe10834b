import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { formatBytes, parseSize } from '../../src/fixture/size.ts'

describe('byte sizes', () => {
  it('reads decimal units as powers of 1000 and binary units as powers of 1024', () => {
    assert.equal(parseSize('1.2GB'), 1_200_000_000)
    assert.equal(parseSize('1GiB'), 2 ** 30)
    assert.equal(parseSize('500MB'), 500_000_000)
    assert.equal(parseSize('800kB'), 800_000)
    assert.equal(parseSize('10 MiB'), 10 * 2 ** 20)
  })

  it('refuses what is not a size', () => {
    for (const text of ['lots', '', 'GB', '-1GB', '0']) assert.throws(() => parseSize(text), /is not a size/, text)
  })

  it('prints decimal units', () => {
    assert.equal(formatBytes(1_200_000_000), '1.2 GB')
    assert.equal(formatBytes(60_000_000), '60 MB')
  })
})
