import assert from "node:assert/strict";
import { compileGoRegexp, goRegexpMatches } from "../../lib/serf/go_regexp.ts";

Deno.test("goRegexpMatches() is an unanchored substring match like Go's MatchString", () => {
  assert.ok(goRegexpMatches("py.*", "python"));
  assert.ok(goRegexpMatches("db", "mydb1"));
  assert.ok(!goRegexpMatches("^db$", "mydb1"));
  assert.ok(goRegexpMatches("", "anything"));
  assert.ok(goRegexpMatches("web|db", "db"));
});

Deno.test("compileGoRegexp() anchored matches the whole input, alternation included", () => {
  assert.ok(goRegexpMatches("web|db", "db", true));
  assert.ok(!goRegexpMatches("web|db", "dbx", true));
  assert.ok(goRegexpMatches("", "", true));
  assert.ok(!goRegexpMatches("", "a", true));
});

Deno.test("compileGoRegexp() translates RE2-only syntax", () => {
  assert.ok(goRegexpMatches("(?P<n>a)b", "ab"));
  assert.ok(goRegexpMatches("(?i)WEB", "web"));
  assert.ok(goRegexpMatches("[[:digit:]]+x", "a12x"));
  assert.ok(!goRegexpMatches("[[:digit:]]", "abc"));
  assert.ok(goRegexpMatches("\\Qa.b\\E", "a.b"));
  assert.ok(!goRegexpMatches("\\Qa.b\\E", "axb"));
  assert.ok(goRegexpMatches("\\Aab\\z", "ab"));
  assert.ok(!goRegexpMatches("\\Aab\\z", "ab\n"));
  assert.ok(goRegexpMatches("\\x{41}", "A"));
  assert.ok(goRegexpMatches("a{2,3}", "aaa"));
  assert.ok(goRegexpMatches("a/b", "a/b"));
});

Deno.test("compileGoRegexp() applies (?flags) in mid-pattern to the rest of its group, as RE2", () => {
  assert.ok(goRegexpMatches("^(?i)R$", "r"));
  assert.ok(goRegexpMatches("a(?i)b", "aB"));
  assert.ok(!goRegexpMatches("a(?i)b", "Ab"));
  assert.ok(goRegexpMatches("^a(?i)b|c$", "C"), "the flag reaches the next alternative");
  assert.ok(!goRegexpMatches("^x(a(?i)b)c$", "xaBC"), "and ends with its group");
  assert.ok(goRegexpMatches("^x(a(?i)b)c$", "xaBc"));
});

Deno.test("compileGoRegexp() refuses invalid and non-RE2 syntax (does not match)", () => {
  for (
    const bad of [
      "(",
      "a)",
      "*a",
      "a**",
      "(?=a)",
      "(?!a)",
      "(?<=a)b",
      "\\1",
      "a{1001}",
      "[a",
      "a(?i)*",
    ]
  ) {
    assert.equal(compileGoRegexp(bad), null, bad);
    assert.ok(!goRegexpMatches(bad, "a"), bad);
  }
});

Deno.test("compileGoRegexp() refuses patterns that backtrack exponentially and stays fast", () => {
  for (const evil of ["(a+)+$", "(a*)*b", "(a|a)*c", "((ab)*)+x", "(a|aa)+$", "(.*){2,}z"]) {
    assert.equal(compileGoRegexp(evil), null, evil);
  }
  assert.equal(compileGoRegexp("a*a*a*b"), null);
  const start = performance.now();
  assert.ok(!goRegexpMatches("a*a*b", "a".repeat(512)));
  assert.ok(performance.now() - start < 1000, `took ${performance.now() - start} ms`);
  assert.ok(goRegexpMatches("(ab)+c", "ababc"));
  assert.ok(goRegexpMatches("(?:a|b)c", "bc"));
});

Deno.test("compileGoRegexp() refuses patterns longer than the limit", () => {
  assert.equal(compileGoRegexp("a".repeat(2000)), null);
});
