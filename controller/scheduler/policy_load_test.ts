/** Reading ExporterAccessPolicy YAML: documents, Go durations, one-line errors, reloads. */
import assert from "node:assert/strict";
import { ConfigError } from "@jumpstarter/lib/config";
import { loadAccessPolicies, parseAccessPolicies, parseGoDuration } from "./policy_load.ts";
import { PolicyFile } from "./policy_file.ts";

const HEAD = "apiVersion: jumpstarter.dev/v1alpha1\nkind: ExporterAccessPolicy\n";

function errorOf(text: string): string {
  try {
    parseAccessPolicies(text, "lab/policy.yaml");
  } catch (error) {
    assert.ok(error instanceof ConfigError, `a ConfigError, got ${error}`);
    assert.ok(!error.message.includes("\n"), `one line: ${error.message}`);
    return error.message;
  }
  assert.fail("expected the policy to be refused");
}

Deno.test("policy file: several documents, defaults, upstream's sample shape", () => {
  const text = `# comment before the first document
---
${HEAD}metadata:
  name: first
  namespace: lab
  labels: { anything: goes }
spec:
  exporterSelector:
    matchExpressions: [{ key: board, operator: Exists }]
  policies:
    - description: ci
      priority: 10
      maximumDuration: 1h30m
      from:
        - clientSelector: { matchLabels: { team: ci } }
        - clientSelector: {}
    - {}
--- # trailing comment
${HEAD}metadata: { name: second }
spec: {}
...
`;
  const [first, second, ...rest] = parseAccessPolicies(text, "p.yaml");
  assert.equal(rest.length, 0);
  assert.equal(first!.namespace, "lab");
  assert.equal(first!.rules.length, 2);
  assert.deepEqual(first!.rules[0], {
    description: "ci",
    priority: 10,
    maximumDuration: 90 * 60_000,
    spotAccess: false,
    from: [
      { requirements: [{ key: "team", operator: "Equals", values: ["ci"] }] },
      { requirements: [] },
    ],
  });
  assert.deepEqual(first!.rules[1], { priority: 0, from: [], spotAccess: false });
  assert.deepEqual(second, {
    namespace: "default",
    name: "second",
    exporterSelector: { requirements: [] },
    rules: [],
  });
});

Deno.test("policy file: Go durations as metav1.Duration reads them", () => {
  assert.equal(parseGoDuration("1h30m"), 90 * 60_000);
  assert.equal(parseGoDuration("1.5h"), 90 * 60_000);
  assert.equal(parseGoDuration("90s"), 90_000);
  assert.equal(parseGoDuration("250ms"), 250);
  assert.equal(parseGoDuration("0"), 0);
  assert.equal(parseGoDuration("-2m"), -120_000);
  for (const bad of ["", "2", "2 hours", "1d", "h", "1h30"]) {
    assert.equal(parseGoDuration(bad), undefined, bad);
  }
});

Deno.test("policy file: each mistake is one line naming file, line and field", () => {
  assert.equal(
    errorOf(`${HEAD}metadata: { name: a }\nspec:\n  policies:\n    - priority: high\n`),
    'lab/policy.yaml:6:17: Expected a number, got "high" at spec.policies[0].priority',
  );
  assert.equal(
    errorOf(`${HEAD}metadata: { name: a }\nspec:\n  policies:\n    - maximumDuration: 2 days\n`),
    'lab/policy.yaml:6:24: Invalid duration "2 days" (expected e.g. 30m, 12h, 1h30m) ' +
      "at spec.policies[0].maximumDuration",
  );
  assert.match(
    errorOf(`${HEAD}metadata: { name: a }\nspec:\n  policies:\n    - frm: []\n`),
    /^lab\/policy\.yaml:6:7: .*"frm".* at spec\.policies\[0\]\.frm$/,
  );
  // the second document's line, counted in the whole file
  assert.match(
    errorOf(
      `${HEAD}metadata: { name: a }\nspec: {}\n---\n${HEAD}metadata: { name: b }\nspec:\n` +
        "  exporterSelector:\n    matchExpressions: [{ key: x, operator: In }]\n",
    ),
    /^lab\/policy\.yaml:11:.*Invalid label selector: values must be non-empty for In at spec\.exporterSelector\.matchExpressions\[0\]$/,
  );
  assert.match(
    errorOf(`apiVersion: jumpstarter.dev/v1\nkind: ExporterAccessPolicy\nmetadata: { name: a }\n`),
    /^lab\/policy\.yaml:1:\d+: .* at apiVersion$/,
  );
  assert.match(
    errorOf(
      `${HEAD}metadata: { name: a }\nspec: {}\n---\n${HEAD}metadata: { name: a }\nspec: {}\n`,
    ),
    /^lab\/policy\.yaml:8:\d+: Duplicate ExporterAccessPolicy default\/a \(first at line 3\) at metadata\.name$/,
  );
});

Deno.test("policy file: a missing file is one clear error", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assert.rejects(
      loadAccessPolicies(`${dir}/absent.yaml`),
      (error: Error) =>
        error instanceof ConfigError && /absent\.yaml.*No such file/.test(error.message),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("policy file: a reload that fails keeps the policies in force", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/policy.yaml`;
  const lines: string[] = [];
  try {
    await Deno.writeTextFile(path, `${HEAD}metadata: { name: a }\nspec: { policies: [{}] }\n`);
    using file = await PolicyFile.open(path, { log: (l) => lines.push(l), reloadOnHangup: false });
    let reloads = 0;
    file.onReload = () => reloads++;
    assert.equal(file.summary(), "1 policy, 1 rule");
    await Deno.writeTextFile(path, `${HEAD}metadata: { name: a }\nspec: { policies: 3 }\n`);
    assert.equal(await file.reload(), false);
    assert.equal(file.policies.length, 1);
    assert.equal(reloads, 0);
    assert.match(
      lines.at(-1)!,
      /^access policy not reloaded \(the previous one stays\): .*policy\.yaml:4:/,
    );
    await Deno.writeTextFile(
      path,
      `${HEAD}metadata: { name: a }\nspec: {}\n---\n${HEAD}metadata: { name: b }\nspec: {}\n`,
    );
    assert.equal(await file.reload(), true);
    assert.equal(reloads, 1);
    assert.equal(file.summary(), "2 policies, 0 rules");
    assert.match(lines.at(-1)!, /^access policy reloaded from .*: 2 policies, 0 rules$/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
