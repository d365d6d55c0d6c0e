// Transform script of 002_split_customer_name.toml.
// stdin: one customer per line (plain JSON); stdout: exactly one line per
// input line. Log to stderr, never to stdout.
import { createInterface } from "node:readline";

const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
for await (const line of lines) {
  const item = JSON.parse(line);
  if (typeof item.name !== "string" || item.name.trim() === "") {
    console.error(`no name on ${item.PK}: left unchanged`);
    console.log("null");
    continue;
  }
  const [firstName, ...rest] = item.name.trim().split(/\s+/);
  const lastName = rest.join(" ");
  console.log(JSON.stringify({ ...item, firstName, lastName }));
}
