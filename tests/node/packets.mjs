// Shared fixtures of the Node tests: one packet of every type in both
// protocol versions, and byte vectors derived by hand from the specification.

const text = (s) => new TextEncoder().encode(s);

/** One packet of each of the 15 types, with MQTT 5.0 properties. */
export const packetsV5 = [
  {
    type: "connect",
    protocolVersion: 5,
    clientId: "node-client",
    cleanStart: true,
    keepAlive: 30,
    username: "user",
    password: text("secret"),
    will: {
      topic: "clients/node-client/status",
      payload: text("offline"),
      qos: 1,
      retain: true,
      willDelayInterval: 5,
      contentType: "text/plain",
    },
    sessionExpiryInterval: 3600,
    receiveMaximum: 100,
    userProperties: [["runtime", "node"], ["runtime", "again"]],
  },
  {
    type: "connack",
    sessionPresent: false,
    reasonCode: 0,
    assignedClientIdentifier: "auto-1",
    maximumQoS: 1,
    retainAvailable: true,
  },
  {
    type: "publish",
    topic: "sensors/1/temperature",
    payload: text("21.5"),
    qos: 2,
    retain: false,
    dup: false,
    packetId: 7,
    messageExpiryInterval: 60,
    correlationData: new Uint8Array([1, 2, 3]),
  },
  { type: "puback", packetId: 7, reasonCode: 0x10, reasonString: "nobody" },
  { type: "pubrec", packetId: 7, reasonCode: 0 },
  { type: "pubrel", packetId: 7, reasonCode: 0x92 },
  { type: "pubcomp", packetId: 7, reasonCode: 0 },
  {
    type: "subscribe",
    packetId: 8,
    subscriptions: [
      {
        topicFilter: "sensors/+/temperature",
        qos: 1,
        noLocal: true,
        retainAsPublished: false,
        retainHandling: 2,
      },
      {
        topicFilter: "$share/group/alerts/#",
        qos: 2,
        noLocal: false,
        retainAsPublished: true,
        retainHandling: 0,
      },
    ],
    subscriptionIdentifier: 42,
  },
  { type: "suback", packetId: 8, reasonCodes: [1, 0x80] },
  { type: "unsubscribe", packetId: 9, topicFilters: ["a/b", "c/#"] },
  { type: "unsuback", packetId: 9, reasonCodes: [0, 0x11] },
  { type: "pingreq" },
  { type: "pingresp" },
  { type: "disconnect", reasonCode: 0x04, sessionExpiryInterval: 0 },
  {
    type: "auth",
    reasonCode: 0x18,
    authenticationMethod: "SCRAM-SHA-1",
    authenticationData: text("client-first"),
  },
];

/**
 * One packet of each of the 14 types of MQTT 3.1.1 (it has no AUTH, and no
 * reason codes on the PUBACK family or DISCONNECT).
 */
export const packetsV4 = [
  {
    type: "connect",
    protocolVersion: 4,
    clientId: "node-client",
    cleanStart: false,
    keepAlive: 60,
    username: "user",
    password: text("secret"),
    will: {
      topic: "status",
      payload: text("gone"),
      qos: 2,
      retain: false,
    },
  },
  { type: "connack", sessionPresent: true, reasonCode: 0 },
  {
    type: "publish",
    topic: "a/b",
    payload: text("hello"),
    qos: 1,
    retain: true,
    dup: true,
    packetId: 1,
  },
  { type: "puback", packetId: 1 },
  { type: "pubrec", packetId: 2 },
  { type: "pubrel", packetId: 2 },
  { type: "pubcomp", packetId: 2 },
  {
    type: "subscribe",
    packetId: 3,
    subscriptions: [{ topicFilter: "a/#", qos: 2 }],
  },
  { type: "suback", packetId: 3, reasonCodes: [2, 0x80] },
  { type: "unsubscribe", packetId: 4, topicFilters: ["a/#"] },
  { type: "unsuback", packetId: 4, reasonCodes: [] },
  { type: "pingreq" },
  { type: "pingresp" },
  { type: "disconnect" },
];

/**
 * Byte vectors worked out by hand from the specification's packet layouts:
 * [description, protocol version, bytes, the packet they decode to].
 */
export const vectors = [
  [
    "3.1.1 CONNECT, clean session, keep alive 60, client id 'a'",
    4,
    [
      0x10,
      0x0d,
      0x00,
      0x04,
      0x4d,
      0x51,
      0x54,
      0x54,
      0x04,
      0x02,
      0x00,
      0x3c,
      0x00,
      0x01,
      0x61,
    ],
    {
      type: "connect",
      protocolVersion: 4,
      clientId: "a",
      cleanStart: true,
      keepAlive: 60,
    },
  ],
  [
    "5.0 CONNACK, no session, Success, no properties",
    5,
    [0x20, 0x03, 0x00, 0x00, 0x00],
    { type: "connack", sessionPresent: false, reasonCode: 0 },
  ],
  [
    "5.0 PUBLISH QoS 0 to 'a/b' with payload 'hi'",
    5,
    [0x30, 0x08, 0x00, 0x03, 0x61, 0x2f, 0x62, 0x00, 0x68, 0x69],
    {
      type: "publish",
      topic: "a/b",
      payload: text("hi"),
      qos: 0,
      retain: false,
      dup: false,
    },
  ],
  [
    "5.0 PUBACK short form (Success left out)",
    5,
    [0x40, 0x02, 0x00, 0x01],
    { type: "puback", packetId: 1, reasonCode: 0 },
  ],
  [
    "5.0 PUBREC short form",
    5,
    [0x50, 0x02, 0x00, 0x02],
    { type: "pubrec", packetId: 2, reasonCode: 0 },
  ],
  [
    "5.0 PUBREL short form (fixed header flags 0010)",
    5,
    [0x62, 0x02, 0x00, 0x02],
    { type: "pubrel", packetId: 2, reasonCode: 0 },
  ],
  [
    "5.0 PUBCOMP short form",
    5,
    [0x70, 0x02, 0x00, 0x02],
    { type: "pubcomp", packetId: 2, reasonCode: 0 },
  ],
  [
    "5.0 SUBSCRIBE to 'a' with QoS 1",
    5,
    [0x82, 0x07, 0x00, 0x0a, 0x00, 0x00, 0x01, 0x61, 0x01],
    {
      type: "subscribe",
      packetId: 10,
      subscriptions: [{
        topicFilter: "a",
        qos: 1,
        noLocal: false,
        retainAsPublished: false,
        retainHandling: 0,
      }],
    },
  ],
  [
    "5.0 SUBACK granting QoS 1",
    5,
    [0x90, 0x04, 0x00, 0x0a, 0x00, 0x01],
    { type: "suback", packetId: 10, reasonCodes: [1] },
  ],
  [
    "5.0 UNSUBSCRIBE from 'a'",
    5,
    [0xa2, 0x06, 0x00, 0x0b, 0x00, 0x00, 0x01, 0x61],
    { type: "unsubscribe", packetId: 11, topicFilters: ["a"] },
  ],
  [
    "5.0 UNSUBACK with Success",
    5,
    [0xb0, 0x04, 0x00, 0x0b, 0x00, 0x00],
    { type: "unsuback", packetId: 11, reasonCodes: [0] },
  ],
  ["PINGREQ", 5, [0xc0, 0x00], { type: "pingreq" }],
  ["PINGRESP", 4, [0xd0, 0x00], { type: "pingresp" }],
  [
    "5.0 DISCONNECT short form (Normal disconnection)",
    5,
    [0xe0, 0x00],
    { type: "disconnect", reasonCode: 0 },
  ],
  [
    "5.0 AUTH short form (Success)",
    5,
    [0xf0, 0x00],
    { type: "auth", reasonCode: 0 },
  ],
];
