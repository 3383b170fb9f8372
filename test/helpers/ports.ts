import { createServer } from 'node:net'

/** A free TCP port on 127.0.0.1, picked by the OS (servers started by tests listen on loopback only). */
export function freePort(): Promise<number> {
  return new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolve(port))
    })
  })
}
