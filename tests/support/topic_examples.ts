/**
 * What the topic index tests share: the specification's matching examples
 * as a table, and generators of topic names and filters drawn from a few
 * levels, so that random filters and names match each other often.
 */

import fc from "fast-check";

/** One example of section 4.7: does `filter` match `topic`? */
export interface MatchRow {
  rule: string;
  filter: string;
  topic: string;
  matches: boolean;
}

/**
 * The examples of MQTT 5.0 section 4.7 (the same in 3.1.1), one row per
 * example, and the edge cases the text implies.
 */
export const SPEC_EXAMPLES: readonly MatchRow[] = [
  // 4.7.1.2 Multi-level wildcard
  ...[
    "sport/tennis/player1",
    "sport/tennis/player1/ranking",
    "sport/tennis/player1/score/wimbledon",
  ].map((topic) => ({
    rule: "4.7.1.2: 'sport/tennis/player1/#' matches the level and below",
    filter: "sport/tennis/player1/#",
    topic,
    matches: true,
  })),
  {
    rule: "4.7.1.2: 'sport/#' also matches the singular 'sport'",
    filter: "sport/#",
    topic: "sport",
    matches: true,
  },
  {
    rule: "4.7.1.2: '#' matches every topic",
    filter: "#",
    topic: "sport/tennis",
    matches: true,
  },
  {
    rule: "4.7.1.2: '#' matches a topic of empty levels",
    filter: "#",
    topic: "/",
    matches: true,
  },
  {
    rule: "4.7.1.2: 'sport/#' does not match a sibling",
    filter: "sport/#",
    topic: "sports",
    matches: false,
  },
  // 4.7.1.3 Single-level wildcard
  ...["sport/tennis/player1", "sport/tennis/player2"].map((topic) => ({
    rule: "4.7.1.3: 'sport/tennis/+' matches one level",
    filter: "sport/tennis/+",
    topic,
    matches: true,
  })),
  {
    rule: "4.7.1.3: 'sport/tennis/+' does not match two levels",
    filter: "sport/tennis/+",
    topic: "sport/tennis/player1/ranking",
    matches: false,
  },
  {
    rule: "4.7.1.3: 'sport/+' does not match 'sport'",
    filter: "sport/+",
    topic: "sport",
    matches: false,
  },
  {
    rule: "4.7.1.3: 'sport/+' matches 'sport/' (an empty level)",
    filter: "sport/+",
    topic: "sport/",
    matches: true,
  },
  {
    rule: "4.7.1.3: '+/+' matches '/finance'",
    filter: "+/+",
    topic: "/finance",
    matches: true,
  },
  {
    rule: "4.7.1.3: '/+' matches '/finance'",
    filter: "/+",
    topic: "/finance",
    matches: true,
  },
  {
    rule: "4.7.1.3: '+' does not match '/finance'",
    filter: "+",
    topic: "/finance",
    matches: false,
  },
  {
    rule: "4.7.1.3: '+/tennis/#' matches",
    filter: "+/tennis/#",
    topic: "sport/tennis/player1",
    matches: true,
  },
  {
    rule: "4.7.1.3: 'sport/+/player1' matches",
    filter: "sport/+/player1",
    topic: "sport/tennis/player1",
    matches: true,
  },
  {
    rule: "4.7.1.2 and 4.7.1.3: '+/#' matches a single level",
    filter: "+/#",
    topic: "sport",
    matches: true,
  },
  // 4.7.2 Topics beginning with $
  {
    rule: "4.7.2: '#' does not match '$SYS/...' [MQTT-4.7.2-1]",
    filter: "#",
    topic: "$SYS/broker/clients",
    matches: false,
  },
  {
    rule: "4.7.2: '+/monitor/Clients' does not match '$SYS/monitor/Clients'",
    filter: "+/monitor/Clients",
    topic: "$SYS/monitor/Clients",
    matches: false,
  },
  {
    rule: "4.7.2: '+' does not match '$'",
    filter: "+",
    topic: "$",
    matches: false,
  },
  {
    rule: "4.7.2: '$SYS/#' matches '$SYS/monitor/Clients'",
    filter: "$SYS/#",
    topic: "$SYS/monitor/Clients",
    matches: true,
  },
  {
    rule: "4.7.2: '$SYS/monitor/+' matches '$SYS/monitor/Clients'",
    filter: "$SYS/monitor/+",
    topic: "$SYS/monitor/Clients",
    matches: true,
  },
  {
    rule: "4.7.2: a '$' below the first level is an ordinary character",
    filter: "a/+",
    topic: "a/$b",
    matches: true,
  },
  // 4.7.3 Topic semantic and usage
  {
    rule: "4.7.3: matching is case sensitive",
    filter: "ACCOUNTS",
    topic: "Accounts",
    matches: false,
  },
  {
    rule: "4.7.3: spaces are ordinary characters",
    filter: "Accounts payable",
    topic: "Accounts payable",
    matches: true,
  },
  {
    rule: "4.7.3: a leading '/' makes a distinct topic",
    filter: "finance",
    topic: "/finance",
    matches: false,
  },
  {
    rule: "4.7.3: a filter without wildcards matches only its own name",
    filter: "sport/tennis",
    topic: "sport/tennis/player1",
    matches: false,
  },
  {
    rule: "4.7.3: multi-byte characters are ordinary characters",
    filter: "ü/+/😀",
    topic: "ü/€/😀",
    matches: true,
  },
];

/** A level from a small set, so that random names and filters meet; `$x` tests [MQTT-4.7.2-1]. */
const level = fc.constantFrom("a", "b", "c", "", "$x");

/** A topic name of 1 to 4 levels from a small set. */
export function smallTopicArbitrary(): fc.Arbitrary<string> {
  return fc.array(level, { minLength: 1, maxLength: 4 })
    .map((levels) => levels.join("/"))
    .filter((topic) => topic !== "");
}

/** A topic filter of 1 to 4 levels from a small set, with `+` and a final `#`. */
export function smallFilterArbitrary(): fc.Arbitrary<string> {
  const filterLevel = fc.oneof(
    { weight: 3, arbitrary: level },
    { weight: 1, arbitrary: fc.constant("+") },
  );
  return fc.tuple(
    fc.array(filterLevel, { minLength: 0, maxLength: 4 }),
    fc.boolean(),
  ).map(([levels, hash]) => (hash ? [...levels, "#"] : levels).join("/"))
    .filter((filter) => filter !== "");
}

/** Every prefix of levels of each string ("a/b" → "a", "a/b"): the trie nodes they need. */
export function levelPrefixes(strings: Iterable<string>): Set<string> {
  const prefixes = new Set<string>();
  for (const string of strings) {
    const levels = string.split("/");
    for (let i = 1; i <= levels.length; i++) {
      prefixes.add(levels.slice(0, i).join("/"));
    }
  }
  return prefixes;
}
