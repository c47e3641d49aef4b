/**
 * A code-review crew on the `@loci/crew` coordinator: a security reviewer and a performance reviewer
 * look at a pull request, keep private working notes, and publish their findings to the crew's shared
 * namespace with provenance; a summary agent, which gets no direct hand-off, writes the verdict from
 * what the team published (its prompt's `## This run` memory section). Prints the summary, the shared
 * findings and the coordinator log.
 *
 * Run: `pnpm example code-review-crew`
 *
 * The models are scripted ({@link RuleChatModel}): each reviewer applies one deterministic check to the
 * diff in its prompt, and the summarizer lists the findings it finds in its recalled memory. To use a
 * real LLM, pass any LangChain chat model as `llm` (e.g. `new ChatOpenAI({ model: "gpt-4o-mini" })`).
 *
 * @module
 */
import { Agent, Crew, Task } from "@loci/crew";
import { Loci } from "@loci/engine";
import type { Example } from "./context.js";
import { type ChatPolicy, RuleChatModel, toolResultsSinceUser } from "./lib/fake-models.js";

/** The change under review. */
const DIFF = `--- a/src/routes/users.ts
+++ b/src/routes/users.ts
+router.get("/users/search", requireAuth, async (req, res) => {
+  const users = await db.query(\`SELECT * FROM users WHERE name LIKE '%\${req.query.q}%'\`);
+  for (const user of users) {
+    user.orders = await db.query("SELECT * FROM orders WHERE user_id = $1", [user.id]);
+  }
+  res.json(users);
+});`;

/** Private notes the reviewers keep; the test checks they never reach the summary. */
export const SECURITY_NOTE = "requireAuth guards the new route, so it is not reachable anonymously";
export const PERFORMANCE_THOUGHT = "no LIMIT on the search: one call can return every user";

/** The security reviewer: stores a private note with the `remember` tool, then reports string-built SQL. */
const securityPolicy: ChatPolicy = (messages) => {
  const prompt = messages.map((m) => m.text).join("\n");
  if (!toolResultsSinceUser(messages).has("remember")) {
    return {
      content: "Checking authentication before anything else.",
      toolCalls: [{ name: "remember", args: { content: SECURITY_NOTE } }],
    };
  }
  const injectable = /query\(`[^`]*\$\{req\./.test(prompt);
  return `Thought: the auth check is fine, the query is not.\nFinal Answer: ${
    injectable
      ? "SQL injection in GET /users/search: req.query.q is interpolated into the SQL string; use a parameterized query ($1)."
      : "No security issue found."
  }`;
};

/** The performance reviewer: thinks privately, then reports a query inside a loop (N+1). */
const performancePolicy: ChatPolicy = (messages) => {
  const prompt = messages.map((m) => m.text).join("\n");
  const nPlusOne = /for \([^)]*\) \{\s*\n\+?[^\n]*await db\.query/.test(prompt);
  return `Thought: ${PERFORMANCE_THOUGHT}.\nFinal Answer: ${
    nPlusOne
      ? "N+1 queries in GET /users/search: one orders query per user inside the loop; load all orders in one query (user_id = ANY($1)) and page the search."
      : "No performance issue found."
  }`;
};

/** The summarizer: reads the findings (with their authors) out of its recalled memory. */
const summaryPolicy: ChatPolicy = (messages) => {
  const prompt = messages.map((m) => m.text).join("\n");
  const findings = [...prompt.matchAll(/^- (.+) \(from (Security|Performance) Reviewer\)$/gm)].map(
    (m) => `[${m[2]}] ${m[1]}`,
  );
  if (findings.length === 0) return "Final Answer: Approve: no findings were published.";
  return `Final Answer: Request changes (${findings.length} blocking findings). ${findings.join(" ")}`;
};

/** What the example returns (asserted by its test). */
export interface CodeReviewResult {
  /** The summary agent's verdict (the crew's final output). */
  summary: string;
  /** Everything in the shared namespace, with its provenance. */
  shared: { content: string; sourceAgent: string; task: string }[];
  /** The prompt the summary model received (it must contain both reviewers' findings). */
  summaryPrompt: string;
  /** Private working notes per agent role. */
  privateNotes: Record<string, string[]>;
  /** The coordinator log: `<task>:<status> (<agent>)` in order. */
  coordinatorLog: string[];
}

/** The example. */
export const example: Example<CodeReviewResult> = {
  description: "Security, performance and summary agents review a pull request on the crew coordinator",
  async run({ dataDir, log }) {
    const loci = await Loci.open({ dataDir });
    try {
      const summaryLlm = new RuleChatModel(summaryPolicy);
      const security = new Agent({
        role: "Security Reviewer",
        goal: "Find vulnerabilities in pull request {pr}",
        backstory: "An application-security engineer who reads every query twice.",
        llm: new RuleChatModel(securityPolicy),
      });
      const performance = new Agent({
        role: "Performance Reviewer",
        goal: "Find performance problems in pull request {pr}",
        backstory: "A database person who counts round trips.",
        llm: new RuleChatModel(performancePolicy),
      });
      const summarizer = new Agent({
        role: "Review Summarizer",
        goal: "Tell the author of {pr} what to fix",
        backstory: "A tech lead who writes short, decisive reviews.",
        llm: summaryLlm,
      });
      const review = (name: string, agent: Agent, focus: string) =>
        new Task({
          name,
          description: `Review pull request {pr} for ${focus} problems.\n\n{diff}`,
          expectedOutput: "One finding with its location and a fix, or 'no issue'",
          agent,
        });
      const crew = new Crew({
        agents: [security, performance, summarizer],
        tasks: [
          review("security-review", security, "security"),
          review("performance-review", performance, "performance"),
          new Task({
            name: "summary",
            description: "Summarize the team's review of pull request {pr} for its author",
            expectedOutput: "A verdict and the blocking findings",
            agent: summarizer,
            context: [], // no hand-off: the findings reach it only through Loci memory
          }),
        ],
        namespace: "review-pr-4521",
        memory: loci,
      });
      crew.on("taskStarted", (e) => log(`▶ ${e.agent} starts "${e.task}"`));
      crew.on("memoryWritten", (e) => {
        if (e.scope === "coordinator") return;
        const text = e.memory.content.replace(/\s+/g, " ");
        log(
          `  ✎ ${e.scope.padEnd(7)} → ${e.namespace}: ${text.length > 90 ? `${text.slice(0, 87)}...` : text}`,
        );
      });

      log(`Reviewing PR #4521 with a crew of ${crew.agents.length} agents (sequential process).`);
      const out = await crew.kickoff({ inputs: { pr: "#4521", diff: DIFF } });

      const list = async (namespace: string) => (await loci.memory.list({ namespace, limit: 100 })).items;
      const shared = (await list(crew.namespaces.shared)).map((m) => ({
        content: m.content,
        sourceAgent: String(m.metadata.source_agent),
        task: String(m.metadata.task),
      }));
      const privateNotes: Record<string, string[]> = {};
      for (const a of crew.agents) {
        privateNotes[a.role] = (await list(crew.namespaces.privateOf(a.role))).map((m) => m.content);
      }
      const coordinatorLog = (await list(crew.namespaces.coordinator)).map(
        (m) => `${m.metadata.task}:${m.metadata.status} (${m.metadata.agent})`,
      );

      log("");
      log("The summary agent's prompt recalled these team findings from memory:");
      const recalled = summaryLlm.prompts[0]?.split("# Memory\n")[1] ?? "(nothing)";
      for (const l of recalled.split("\n")) log(`  | ${l}`);
      log("");
      log("Final summary:");
      log(`  ${out.raw}`);
      log("");
      log(`Shared namespace "${crew.namespaces.shared}" (provenance in metadata):`);
      for (const s of shared) log(`  - ${s.sourceAgent} / ${s.task}: ${s.content.slice(0, 70)}...`);
      log(`Private notes stay in each agent's namespace (e.g. ${crew.namespaces.privateOf(security.role)}):`);
      for (const [role, notes] of Object.entries(privateNotes)) log(`  - ${role}: ${notes.length} note(s)`);
      log(`Coordinator log "${crew.namespaces.coordinator}":`);
      for (const entry of coordinatorLog) log(`  - ${entry}`);

      return {
        summary: out.raw,
        shared,
        summaryPrompt: summaryLlm.prompts[0] ?? "",
        privateNotes,
        coordinatorLog,
      };
    } finally {
      await loci.close();
    }
  },
};
