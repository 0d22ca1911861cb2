// Malformed fleet files and the exact diagnostics each must produce (code, line:col, path,
// message). Used by load-malformed.test.ts; add a case whenever a diagnostic changes.

export interface MalformedCase {
  name: string;
  yaml: string;
  expect: { code: string; at: string; path: string; message: string; hint?: string }[];
}

const base = (apps: string, extra = '') => `project: demo
servers:
  s1: { local: true, memory: 4GiB }
environments:
  staging: { server: s1, domain: "{app}-staging.example.com" }
  prod: { server: s1, protected: true, domain: "{app}.example.com" }
services:
  postgres: { image: postgres:17 }
${extra}apps:
${apps}`;

export const CASES: MalformedCase[] = [];
