"""Subscribes with Debian's python3-paho-mqtt (a strict MQTT 5.0 client nobody here wrote) and reports what arrives.

Usage: paho_sub.py HOST PORT FILTER COUNT TIMEOUT_SECONDS [--v5|--v311]
Prints "ready" once the SUBACK is in, then one JSON line per message received ({"topic", "payload", "qos",
"retain", "properties"}), and exits 0 after COUNT messages. Exits 1 when the time runs out, and 2 when paho reports
an error (a packet it refused, as "Property WillDelayInterval does not apply to packet type Publish"), which is
printed as {"error": ...} first.
"""
import json
import sys
import threading

import paho.mqtt.client as mqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

host, port, topic_filter, count, timeout = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), float(sys.argv[5])
v5 = "--v311" not in sys.argv[6:]
done = threading.Event()
received = []
status = {"code": 1}


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def properties_of(message):
    props = getattr(message, "properties", None)
    if props is None:
        return {}
    out = {}
    for name in props.names.keys():
        compact = name.replace(" ", "")
        if hasattr(props, compact):
            value = getattr(props, compact)
            if isinstance(value, bytes):
                value = value.decode("utf-8", "replace")
            out[compact] = value
    return out


def on_connect(client, userdata, flags, rc, properties=None):
    client.subscribe(topic_filter, qos=1)


def on_subscribe(client, userdata, mid, granted, properties=None):
    emit("ready")


def on_message(client, userdata, message):
    emit({
        "topic": message.topic,
        "payload": message.payload.decode("utf-8", "replace"),
        "qos": message.qos,
        "retain": bool(message.retain),
        "properties": properties_of(message),
    })
    received.append(message)
    if len(received) >= count:
        status["code"] = 0
        done.set()


def on_log(client, userdata, level, buf):
    # paho reports a packet it could not parse through the log (and then drops the connection).
    if level == mqtt.MQTT_LOG_ERR:
        emit({"error": buf})
        status["code"] = 2
        done.set()


client = mqtt.Client(client_id="paho-sub-" + str(port), protocol=mqtt.MQTTv5 if v5 else mqtt.MQTTv311)
client.on_connect = on_connect
client.on_subscribe = on_subscribe
client.on_message = on_message
client.on_log = on_log
try:
    client.connect(host, port, keepalive=30)
except Exception as exc:  # noqa: BLE001 - reported to the test as it is
    emit({"error": repr(exc)})
    sys.exit(2)
client.loop_start()
done.wait(timeout)
client.loop_stop()
sys.exit(status["code"])
