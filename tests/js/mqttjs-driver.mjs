// One MQTT.js client driven over stdin/stdout, one JSON object per line (used by tests/Starling.Interop.Tests/Infrastructure/MqttJs.cs).
//
// Commands (stdin), each with a numeric "id" echoed in its reply:
//   {"id":1,"op":"connect","url":"mqtt://127.0.0.1:1883","options":{"protocolVersion":5,"clientId":"a","clean":true,...}}
//   {"id":2,"op":"subscribe","topic":"a/b" | ["a","b"],"options":{"qos":1,"nl":false,"rap":false,"rh":0,"properties":{"subscriptionIdentifier":1}}}
//   {"id":3,"op":"publish","topic":"a/b","payload":"text" | "payloadBase64":"...","options":{"qos":1,"retain":false,"properties":{...}}}
//   {"id":4,"op":"unsubscribe","topic":"a/b" | [...],"options":{"properties":{...}}}
//   {"id":5,"op":"end","force":false,"options":{"reasonCode":0,"properties":{...}}}
//   {"id":6,"op":"destroy"}   closes the socket without DISCONNECT
// Replies (stdout): {"id":n,"ok":true,...results} or {"id":n,"ok":false,"error":"...","reasonCode":...}
// Events (stdout): {"event":"message","topic","payload"(base64),"qos","retain","dup","properties"}, {"event":"disconnect","reasonCode","properties"},
//                  {"event":"close"}, {"event":"error","message","code"}
// Buffers travel as base64 both ways: payloadBase64 and the binary properties correlationData and authenticationData.
import mqtt from 'mqtt';
import readline from 'node:readline';

const binaryProperties = ['correlationData', 'authenticationData'];
let client = null;
const acks = new Map(); // messageId -> acks received for an outgoing PUBLISH (PUBACK, PUBREC, PUBCOMP)

function write(obj) {
  process.stdout.write(JSON.stringify(obj, (key, value) => {
    if (value && value.type === 'Buffer' && Array.isArray(value.data)) {
      return Buffer.from(value.data).toString('base64');
    }
    return value;
  }) + '\n');
}

function inProperties(properties) {
  if (!properties) return properties;
  const result = { ...properties };
  for (const name of binaryProperties) {
    if (typeof result[name] === 'string') result[name] = Buffer.from(result[name], 'base64');
  }
  return result;
}

function inOptions(options) {
  const result = { ...(options ?? {}) };
  if (result.properties) result.properties = inProperties(result.properties);
  return result;
}

function errorReply(id, err, extra = {}) {
  write({ id, ok: false, error: String(err?.message ?? err), reasonCode: err?.code, ...extra });
}

function connect(cmd) {
  const options = { ...inOptions(cmd.options), reconnectPeriod: 0 };
  let connack = null;
  client = mqtt.connect(cmd.url, options);
  let answered = false;
  const answer = (reply) => {
    if (!answered) {
      answered = true;
      write(reply);
    }
  };
  client.on('packetreceive', (packet) => {
    if (packet.cmd === 'connack') connack = packet;
    if (['puback', 'pubrec', 'pubcomp'].includes(packet.cmd)) {
      const list = acks.get(packet.messageId) ?? [];
      list.push({ cmd: packet.cmd, reasonCode: packet.reasonCode ?? 0, properties: packet.properties });
      acks.set(packet.messageId, list);
    }
  });
  client.on('connect', (packet) => answer({
    id: cmd.id, ok: true, sessionPresent: !!packet.sessionPresent,
    reasonCode: packet.reasonCode ?? packet.returnCode ?? 0, properties: packet.properties ?? null,
  }));
  client.on('message', (topic, payload, packet) => write({
    event: 'message', topic, payload: Buffer.from(payload).toString('base64'),
    qos: packet.qos, retain: !!packet.retain, dup: !!packet.dup, messageId: packet.messageId ?? null,
    properties: packet.properties ?? null,
  }));
  client.on('disconnect', (packet) => write({ event: 'disconnect', reasonCode: packet.reasonCode ?? 0, properties: packet.properties ?? null }));
  client.on('error', (err) => {
    if (!answered) {
      errorReply(cmd.id, err, { reasonCode: connack?.reasonCode ?? connack?.returnCode ?? err?.code, properties: connack?.properties ?? null });
      answered = true;
    } else {
      write({ event: 'error', message: String(err?.message ?? err), code: err?.code ?? null });
    }
  });
  client.on('close', () => {
    write({ event: 'close' });
    if (!answered) answer({ id: cmd.id, ok: false, error: 'connection closed before CONNACK', reasonCode: connack?.reasonCode ?? connack?.returnCode ?? null });
  });
}

function needClient(cmd) {
  if (client) return true;
  write({ id: cmd.id, ok: false, error: 'not connected: send connect first' });
  return false;
}

function handle(cmd) {
  switch (cmd.op) {
    case 'connect':
      if (client) return write({ id: cmd.id, ok: false, error: 'already connected' });
      return connect(cmd);
    case 'subscribe':
      if (!needClient(cmd)) return;
      return client.subscribe(cmd.topic, inOptions(cmd.options), (err, granted, packet) => {
        if (packet) {
          write({ id: cmd.id, ok: true, granted: packet.granted, properties: packet.properties ?? null, error: err ? String(err.message) : null });
        } else {
          errorReply(cmd.id, err ?? 'no SUBACK');
        }
      });
    case 'unsubscribe':
      if (!needClient(cmd)) return;
      return client.unsubscribe(cmd.topic, inOptions(cmd.options), (err, packet) => {
        if (err) return errorReply(cmd.id, err);
        write({ id: cmd.id, ok: true, reasonCodes: packet?.granted ?? packet?.reasonCodes ?? null, properties: packet?.properties ?? null });
      });
    case 'publish': {
      if (!needClient(cmd)) return;
      const payload = cmd.payloadBase64 !== undefined ? Buffer.from(cmd.payloadBase64, 'base64') : (cmd.payload ?? '');
      return client.publish(cmd.topic, payload, inOptions(cmd.options), (err, packet) => {
        const messageId = packet?.messageId;
        const received = messageId !== undefined ? acks.get(messageId) ?? [] : [];
        if (messageId !== undefined) acks.delete(messageId);
        if (err) return errorReply(cmd.id, err, { acks: received });
        write({ id: cmd.id, ok: true, messageId: messageId ?? null, acks: received });
      });
    }
    case 'end':
      if (!client) return write({ id: cmd.id, ok: true });
      return client.end(!!cmd.force, inOptions(cmd.options), () => write({ id: cmd.id, ok: true }));
    case 'destroy':
      if (!needClient(cmd)) return;
      client.stream.destroy();
      return write({ id: cmd.id, ok: true });
    default:
      return write({ id: cmd.id, ok: false, error: `unknown op ${cmd.op}` });
  }
}

const lines = readline.createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (!line.trim()) return;
  let cmd;
  try {
    cmd = JSON.parse(line);
  } catch (err) {
    return write({ event: 'error', message: `bad JSON: ${err.message}` });
  }
  try {
    handle(cmd);
  } catch (err) {
    errorReply(cmd.id, err);
  }
});
// stdin closed: the test is done with this client.
lines.on('close', () => {
  if (client) client.end(true, () => process.exit(0));
  else process.exit(0);
  setTimeout(() => process.exit(0), 1000).unref();
});
