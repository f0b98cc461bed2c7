// aedes on a plain node:net server: a peer broker for bench/compare.
// Usage: node server.mjs PORT [HOST]   (HOST defaults to 127.0.0.1)
// AEDES_NODELAY=0 leaves Nagle on (Node's default); by default the harness turns it off, as it does for
// mosquitto (set_tcp_nodelay true); Starling, MQTTnet and NATS set TCP_NODELAY themselves.
import { createServer } from 'node:net'
import { Aedes } from 'aedes'

const port = Number(process.argv[2] ?? 1883)
const host = process.argv[3] ?? '127.0.0.1'
const noDelay = process.env.AEDES_NODELAY !== '0'

const aedes = await Aedes.createBroker()
const server = createServer({ noDelay }, aedes.handle)

server.listen(port, host, () => {
  console.log(`aedes listening on ${host}:${port} (noDelay=${noDelay})`)
})

const stop = () => {
  server.close()
  aedes.close(() => process.exit(0))
  setTimeout(() => process.exit(0), 2000).unref()
}
process.on('SIGTERM', stop)
process.on('SIGINT', stop)
