// MQTT.js over ws:// or wss:// for the Starling listener tests (tests/Starling.Interop.Tests/Listeners).
// Connects, subscribes to --topic, publishes --message to it, and prints what comes back.
// Exit codes: 0 the message came back; 1 an error (on stderr); 2 timed out.
//   node tests/js/ws-client.mjs --url wss://127.0.0.1:8443/mqtt --topic t --message hi [--ca ca.crt] [--cert c.crt --key c.key] [--protocol-version 4|5] [--username u]
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import mqtt from 'mqtt';

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    topic: { type: 'string', default: 'mqttjs/ws' },
    message: { type: 'string', default: 'hello' },
    ca: { type: 'string' },
    cert: { type: 'string' },
    key: { type: 'string' },
    'protocol-version': { type: 'string', default: '4' },
    username: { type: 'string' },
    qos: { type: 'string', default: '1' },
  },
});

const options = {
  protocolVersion: Number(values['protocol-version']),
  clientId: 'mqttjs-' + Math.random().toString(16).slice(2, 10),
  connectTimeout: 5000,
  reconnectPeriod: 0,
};
if (values.ca) { options.ca = readFileSync(values.ca); options.rejectUnauthorized = true; }
if (values.cert) { options.cert = readFileSync(values.cert); options.key = readFileSync(values.key); }
if (values.username) { options.username = values.username; }

const qos = Number(values.qos);
const timer = setTimeout(() => { console.error('timed out'); process.exit(2); }, 10000);
const client = mqtt.connect(values.url, options);
client.on('error', (err) => { console.error(String(err?.message ?? err)); process.exit(1); });
client.on('close', () => { if (!client.__done) { console.error('connection closed'); process.exit(1); } });
client.on('message', (topic, payload) => {
  process.stdout.write(payload.toString() + '\n');
  client.__done = true;
  clearTimeout(timer);
  client.end(false, {}, () => process.exit(0));
});
client.on('connect', async () => {
  try {
    await client.subscribeAsync(values.topic, { qos });
    await client.publishAsync(values.topic, values.message, { qos });
  } catch (err) {
    console.error(String(err?.message ?? err));
    process.exit(1);
  }
});
