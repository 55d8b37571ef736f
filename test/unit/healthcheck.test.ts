// healthUrl: which address `chatapi healthcheck` probes for a given LISTEN_ADDR.

import { expect, test } from 'bun:test'
import { healthUrl } from '../../src/cli/healthcheck'
import { loadConfig } from '../../src/config'

const url = (LISTEN_ADDR: string) => healthUrl(loadConfig({ LISTEN_ADDR }))

test('wildcard hosts probe loopback; a specific host is probed as given', () => {
  expect(url('0.0.0.0:8080')).toBe('http://127.0.0.1:8080/health')
  expect(url(':9000')).toBe('http://127.0.0.1:9000/health')
  expect(url('[::]:9000')).toBe('http://127.0.0.1:9000/health')
  expect(url('127.0.0.1:7000')).toBe('http://127.0.0.1:7000/health')
  expect(url('10.1.2.3:7000')).toBe('http://10.1.2.3:7000/health')
  expect(url('[::1]:7000')).toBe('http://[::1]:7000/health')
  expect(url('localhost:7000')).toBe('http://localhost:7000/health')
})

test('port 0 (pick a free one) is not meaningful for a probe: the default 8080 is used', () => {
  expect(url('127.0.0.1:0')).toBe('http://127.0.0.1:8080/health')
})
