// MQTT.js clients driven over stdin/stdout, one JSON object per line (used by tests/Starling.Interop.Tests/Infrastructure/MqttJs.cs).
// One process can drive several clients: a command's optional "client" names the client it is for ("default" if absent),
// and every reply and event carries the "client" it comes from. A client name is free again once its "end" is answered.
//
// Commands (stdin), each with a numeric "id" echoed in its reply:
//   {"id":1,"client":"a","op":"connect","url":"mqtt://127.0.0.1:1883","options":{"protocolVersion":5,"clientId":"a","clean":true,...}}
//   {"id":2,"client":"a","op":"subscribe","topic":"a/b" | ["a","b"],"options":{"qos":1,"nl":false,"rap":false,"rh":0,"properties":{"subscriptionIdentifier":1}}}
//   {"id":3,"client":"a","op":"publish","topic":"a/b","payload":"text" | "payloadBase64":"...","options":{"qos":1,"retain":false,"properties":{...}}}
//   {"id":4,"client":"a","op":"unsubscribe","topic":"a/b" | [...],"options":{"properties":{...}}}
//   {"id":5,"client":"a","op":"end","force":false,"options":{"reasonCode":0,"properties":{...}}}   DISCONNECT (unless force) and forget the client
//   {"id":6,"client":"a","op":"destroy"}   closes the socket without DISCONNECT
// Replies (stdout): {"id":n,"client":"a","ok":true,...results} or {"id":n,"client":"a","ok":false,"error":"...","reasonCode":...}
//   connect: sessionPresent, reasonCode, properties (CONNACK); subscribe: granted (SUBACK reason codes), properties;
//   unsubscribe: reasonCodes; publish: messageId, acks [{cmd,reasonCode,properties}] (PUBACK, or PUBREC and PUBCOMP)
// Events (stdout): {"event":"message","client","topic","payload"(base64),"qos","retain","dup","messageId","properties"},
//                  {"event":"disconnect","client","reasonCode","properties"} (a DISCONNECT from the server), {"event":"close","client"},
//                  {"event":"error","client","message","code"}
// Buffers travel as base64 both ways: payloadBase64 and the binary properties correlationData and authenticationData.
// MQTT.js never reconnects by itself here (reconnectPeriod 0). The process exits when stdin closes.
import mqtt from 'mqtt';
import readline from 'node:readline';

const binaryProperties = ['correlationData', 'authenticationData'];
const clients = new Map(); // name -> { mqtt: MqttClient, acks: Map(messageId -> acks received for an outgoing PUBLISH) }

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

function reply(cmd, fields) {
  write({ id: cmd.id, client: cmd.client, ok: true, ...fields });
}

function fail(cmd, err, extra = {}) {
  write({ id: cmd.id, client: cmd.client, ok: false, error: String(err?.message ?? err), reasonCode: err?.code ?? null, ...extra });
}

function connect(cmd) {
  const name = cmd.client;
  const state = { mqtt: null, acks: new Map() };
  let connack = null;
  let answered = false;
  const answer = (send) => {
    if (!answered) {
      answered = true;
      send();
    }
  };
  const client = mqtt.connect(cmd.url, { ...inOptions(cmd.options), reconnectPeriod: 0 });
  state.mqtt = client;
  clients.set(name, state);
  client.on('packetreceive', (packet) => {
    if (packet.cmd === 'connack') connack = packet;
    if (['puback', 'pubrec', 'pubcomp'].includes(packet.cmd)) {
      const list = state.acks.get(packet.messageId) ?? [];
      list.push({ cmd: packet.cmd, reasonCode: packet.reasonCode ?? 0, properties: packet.properties ?? null });
      state.acks.set(packet.messageId, list);
    }
  });
  client.on('connect', (packet) => answer(() => reply(cmd, {
    sessionPresent: !!packet.sessionPresent, reasonCode: packet.reasonCode ?? packet.returnCode ?? 0, properties: packet.properties ?? null,
  })));
  client.on('message', (topic, payload, packet) => write({
    event: 'message', client: name, topic, payload: Buffer.from(payload).toString('base64'),
    qos: packet.qos, retain: !!packet.retain, dup: !!packet.dup, messageId: packet.messageId ?? null, properties: packet.properties ?? null,
  }));
  client.on('disconnect', (packet) => write({ event: 'disconnect', client: name, reasonCode: packet.reasonCode ?? 0, properties: packet.properties ?? null }));
  const connackFields = () => ({ reasonCode: connack?.reasonCode ?? connack?.returnCode ?? null, properties: connack?.properties ?? null });
  client.on('error', (err) => {
    if (answered) {
      write({ event: 'error', client: name, message: String(err?.message ?? err), code: err?.code ?? null });
    } else {
      answer(() => fail(cmd, err, connack ? connackFields() : {}));
    }
  });
  client.on('close', () => {
    write({ event: 'close', client: name });
    answer(() => fail(cmd, 'connection closed before CONNACK', connackFields()));
  });
}

function handle(cmd) {
  cmd.client = cmd.client ?? 'default';
  const state = clients.get(cmd.client);
  if (cmd.op === 'connect') {
    if (state) return fail(cmd, `client ${cmd.client} exists: end it first`);
    return connect(cmd);
  }
  if (cmd.op === 'end' && !state) return reply(cmd, {});
  if (!state) return fail(cmd, `no client ${cmd.client}: send connect first`);
  const client = state.mqtt;
  switch (cmd.op) {
    case 'subscribe':
      return client.subscribe(cmd.topic, inOptions(cmd.options), (err, granted, packet) => {
        if (packet) reply(cmd, { granted: packet.granted, properties: packet.properties ?? null, error: err ? String(err.message) : null });
        else fail(cmd, err ?? 'no SUBACK');
      });
    case 'unsubscribe':
      return client.unsubscribe(cmd.topic, inOptions(cmd.options), (err, packet) => {
        if (err) return fail(cmd, err);
        reply(cmd, { reasonCodes: packet?.granted ?? null, properties: packet?.properties ?? null });
      });
    case 'publish': {
      const payload = cmd.payloadBase64 !== undefined ? Buffer.from(cmd.payloadBase64, 'base64') : (cmd.payload ?? '');
      return client.publish(cmd.topic, payload, inOptions(cmd.options), (err, packet) => {
        const messageId = packet?.messageId;
        const acks = messageId !== undefined ? state.acks.get(messageId) ?? [] : [];
        if (messageId !== undefined) state.acks.delete(messageId);
        if (err) return fail(cmd, err, { acks });
        reply(cmd, { messageId: messageId ?? null, acks });
      });
    }
    case 'end': {
      clients.delete(cmd.client);
      let done = false;
      const finish = () => {
        if (!done) {
          done = true;
          reply(cmd, {});
        }
      };
      if (!client.connected) {
        client.end(true);
        return finish();
      }
      client.end(!!cmd.force, inOptions(cmd.options), finish);
      return setTimeout(() => {
        client.end(true);
        finish();
      }, 3000).unref();
    }
    case 'destroy':
      client.stream.destroy();
      return reply(cmd, {});
    default:
      return fail(cmd, `unknown op ${cmd.op}`);
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
    fail(cmd, err);
  }
});
// stdin closed: the tests are done.
lines.on('close', () => {
  for (const { mqtt: client } of clients.values()) client.end(true);
  setTimeout(() => process.exit(0), 100);
});
